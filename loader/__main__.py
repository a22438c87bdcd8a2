"""Run the command line interface with ``python -m stockloader``."""

from .cli import main

raise SystemExit(main())
