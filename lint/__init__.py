"""asynclint: find the asyncio mistakes that corrupt or stall programs."""

from __future__ import annotations

from .diagnostic import Diagnostic, Edit, Fix, FixSafety, Position
from .engine import LintOptions, lint_text

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Edit", "Fix", "FixSafety", "LintOptions", "Position", "__version__", "lint_text"]
