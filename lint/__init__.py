"""asynclint: find the asyncio mistakes that corrupt or stall programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostic import Diagnostic, Edit, Fix, FixSafety, Position

if TYPE_CHECKING:
    from .engine import LintOptions, lint_text

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Edit", "Fix", "FixSafety", "LintOptions", "Position", "__version__", "lint_text"]


def __getattr__(name: str) -> object:
    # The engine imports LibCST, which costs more than a warm run from the
    # result cache takes in total, so it loads on first use only.
    if name in ("LintOptions", "lint_text"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
