"""``# noqa`` comments: honouring them, reporting unused ones, adding new ones.

The matching follows flake8 7, so a file gives the same result under both
tools: the comment may sit anywhere on the physical line where a finding
starts, or on any line of a token that spans several lines (a triple-quoted
string, a backslash continuation). ``# noqa`` alone suppresses every code;
``# noqa: AIO201,AIO3`` suppresses those codes and every code they prefix.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from .diagnostic import Diagnostic, Position
from .source import line_starts

UNUSED_NOQA = ("AIO002", "unused-noqa")

# The expression flake8 uses (flake8.defaults.NOQA_INLINE_REGEXP): the codes
# are letters followed by digits, so "# noqa: AIO" is a blanket noqa there too.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_CODE_SEPARATOR = re.compile(r"[,\s]+")

# Engine codes that a comment must not hide: a crash in a rule is never clean.
_UNSUPPRESSIBLE = frozenset({"AIO003"})


@dataclass(frozen=True)
class Comment:
    """One ``# noqa`` comment token: where it is and the codes it names."""

    line: int
    column: int
    end_column: int
    codes: tuple[str, ...] | None
    text: str


@dataclass
class SourceLines:
    """The lines of one text, grouped the way flake8 groups them for noqa."""

    lines: list[str]
    # Line number -> (first line, last line) of the token group it belongs to.
    groups: dict[int, tuple[int, int]] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> SourceLines:
        starts = line_starts(text)
        lines = [text[begin:end] for begin, end in zip(starts, [*starts[1:], len(text)])]
        result = cls(lines)
        try:
            result._scan_tokens(text)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            # flake8 falls back to the physical line when tokenizing fails.
            result.groups = {}
        return result

    def _scan_tokens(self, text: str) -> None:
        first, last = None, None
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else min(first, token.start[0])
            last = token.end[0] if last is None else max(last, token.end[0])
            if token.type == tokenize.COMMENT:
                self._add_comment(token)
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                for number in range(first, last + 1):
                    self.groups[number] = (first, last)
                first, last = None, None

    def _add_comment(self, token: tokenize.TokenInfo) -> None:
        match = NOQA.search(token.string)
        if match is None:
            return
        codes = match.group("codes")
        parsed = tuple(code for code in _CODE_SEPARATOR.split(codes) if code) if codes else None
        line, column = token.start
        # The expression also takes separators after the last code; the
        # comment ends at the last code.
        matched = match.group(0).rstrip(", \t")
        start = column + match.start()
        self.comments[line] = Comment(line, start, start + len(matched), parsed, matched)

    def group(self, line: int) -> tuple[int, int]:
        return self.groups.get(line, (line, line))

    def noqa_text(self, line: int) -> str:
        """Return the text flake8 searches for a noqa comment for ``line``."""
        first, last = self.group(line)
        return "".join(self.lines[first - 1 : last])

    def noqa_line(self, line: int) -> int | None:
        """Return the line of the ``# noqa`` comment token that covers ``line``."""
        first, last = self.group(line)
        for number in range(first, last + 1):
            if number in self.comments:
                return number
        return None


def is_suppressed(code: str, codes: tuple[str, ...] | None) -> bool:
    """Tell whether a noqa naming ``codes`` (None: blanket) covers ``code``."""
    if codes is None:
        return True
    return code in codes or code.startswith(codes)


@dataclass(frozen=True)
class NoqaFilter:
    """Drops suppressed findings, and reports unused comments when asked.

    It is a plain frozen value so that worker processes can receive it.
    """

    report_unused: bool = False

    def __call__(self, text: str, path: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        if "noqa" not in text.lower():
            return diagnostics

        source = SourceLines.parse(text)
        kept: list[Diagnostic] = []
        # Comment line -> codes it actually suppressed in this text.
        used: dict[int, set[str]] = {}
        for diagnostic in diagnostics:
            line = diagnostic.start.line
            match = NOQA.search(source.noqa_text(line)) if diagnostic.code not in _UNSUPPRESSIBLE else None
            codes = _codes_of(match)
            if match is None or not is_suppressed(diagnostic.code, codes):
                kept.append(diagnostic)
                continue
            comment_line = source.noqa_line(line)
            if comment_line is not None:
                used.setdefault(comment_line, set()).add(diagnostic.code)

        if self.report_unused:
            kept.extend(_unused(source, used, path))
            kept.sort(key=lambda d: d.sort_key)
        return kept


def _codes_of(match: re.Match[str] | None) -> tuple[str, ...] | None:
    if match is None or match.group("codes") is None:
        return None
    return tuple(code for code in _CODE_SEPARATOR.split(match.group("codes")) if code)


def _unused(source: SourceLines, used: dict[int, set[str]], path: str) -> list[Diagnostic]:
    code, name = UNUSED_NOQA
    found = []
    for line, comment in sorted(source.comments.items()):
        hits = used.get(line, set())
        if comment.codes is None:
            if hits:
                continue
            message = "unused blanket noqa comment: it suppresses no finding; remove it"
        else:
            idle = [entry for entry in comment.codes if not any(is_suppressed(hit, (entry,)) for hit in hits)]
            if not idle:
                continue
            message = f"unused noqa code {', '.join(idle)}: no such finding on this line; remove the code"
        found.append(
            Diagnostic(
                code=code,
                name=name,
                message=message,
                path=path,
                start=Position(line, comment.column),
                end=Position(line, comment.end_column),
            )
        )
    return found


def add_noqa(text: str, diagnostics: list[Diagnostic]) -> tuple[str, int]:
    """Add or extend ``# noqa`` comments so that ``diagnostics`` are suppressed.

    Returns the new text and the number of lines changed. An existing comment
    on the line is kept: the noqa comment goes after it, and an existing
    ``# noqa: CODES`` gets the missing codes appended. Findings that the text
    already suppresses must be left out of ``diagnostics`` by the caller.
    """
    source = SourceLines.parse(text)
    wanted: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in _UNSUPPRESSIBLE:
            continue
        # flake8 reads only the first noqa comment of a token group, so an
        # existing one is extended. A new one goes on the group's last line,
        # because the earlier lines of a multi-line string cannot have a comment.
        existing = source.noqa_line(diagnostic.start.line)
        _, last = source.group(diagnostic.start.line)
        wanted.setdefault(existing or last, set()).add(diagnostic.code)

    lines = list(source.lines)
    for line, codes in wanted.items():
        existing = source.comments.get(line)
        lines[line - 1] = _with_noqa(lines[line - 1], codes, existing)
    return "".join(lines), len(wanted)


def _with_noqa(line: str, codes: set[str], existing: Comment | None) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    if existing is not None and existing.codes is not None:
        merged = [*existing.codes, *sorted(code for code in codes if not is_suppressed(code, existing.codes))]
        replacement = f"# noqa: {','.join(merged)}"
        return body[: existing.column] + replacement + body[existing.end_column :] + ending
    stripped = body.rstrip()
    return f"{stripped}  # noqa: {','.join(sorted(codes))}{ending}"

