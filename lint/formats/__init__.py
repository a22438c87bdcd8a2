"""Printing findings: one writer per ``--format``.

``text`` and ``grouped`` are for people, ``json`` for scripts, ``sarif`` for
GitHub code scanning and other SARIF 2.1.0 consumers, and ``github`` prints
GitHub Actions workflow commands that annotate the pull request.
"""

from __future__ import annotations

from typing import Callable, TextIO

from .base import Output, Summary, rule_page
from .ci import write_github, write_json, write_sarif
from .text import write_grouped, write_statistics, write_text

from ..diagnostic import Diagnostic

Writer = Callable[[list[Diagnostic], Summary, TextIO, Output], None]

FORMATS: dict[str, Writer] = {
    "text": write_text,
    "grouped": write_grouped,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}

__all__ = ["FORMATS", "Output", "Summary", "Writer", "rule_page", "write_statistics"]
