"""Printing findings; the writers live in the ``formats`` package."""

from __future__ import annotations

from .formats import FORMATS, Output, Summary, Writer
from .formats.text import summary_line

__all__ = ["FORMATS", "Output", "Summary", "Writer", "summary_line"]
