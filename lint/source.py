"""Reading Python source files the way CPython reads them.

The encoding comes from a BOM or a PEP 263 coding cookie (UTF-8 otherwise),
and line endings are kept as they are, so a fixed file can be written back
with the same bytes everywhere except the edited spans.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from .diagnostic import Edit, Position

# LibCST, like the tokenizer, ends a line at "\r\n", "\r" or "\n" only.
# str.splitlines() also splits at form feeds and other separators, which
# would shift every line number after one of them.
_LINE_END = re.compile(r"\r\n|\r|\n")


class SourceDecodeError(ValueError):
    """The bytes of a file cannot be decoded as Python source."""


@dataclass(frozen=True)
class SourceText:
    """Decoded source with what is needed to write it back unchanged."""

    text: str
    encoding: str

    def encode(self, text: str | None = None) -> bytes:
        """Encode ``text`` (default: the original) with the file's encoding."""
        return (self.text if text is None else text).encode(self.encoding)


def decode_source(data: bytes) -> SourceText:
    """Decode file bytes as CPython would, or raise SourceDecodeError."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceDecodeError(str(error)) from None

    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceDecodeError(
            f"cannot decode as {encoding}: {error}; "
            "save the file as UTF-8 or add a matching coding cookie"
        ) from None

    # "utf-8-sig" strips the BOM on decode and writes it back on encode.
    return SourceText(text=text, encoding=encoding)


def line_starts(text: str) -> list[int]:
    """Return the offset of the first character of each line (index 0 = line 1)."""
    starts = [0]
    starts.extend(match.end() for match in _LINE_END.finditer(text))
    return starts


def offset_of(starts: list[int], position: Position) -> int:
    """Convert a line and column to an offset into the text."""
    return starts[position.line - 1] + position.column


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits to ``text`` and return the new text."""
    starts = line_starts(text)
    spans = sorted(
        ((offset_of(starts, e.start), offset_of(starts, e.end), e.content) for e in edits),
        key=lambda span: (span[0], span[1]),
    )

    pieces: list[str] = []
    cursor = 0
    for begin, end, content in spans:
        if begin < cursor:
            raise ValueError(f"overlapping edits at offset {begin}")
        pieces.append(text[cursor:begin])
        pieces.append(content)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
