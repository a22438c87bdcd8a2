"""Applying fixes to a file: all at once, re-linted until stable, verified, written atomically."""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import libcst as cst

from .diagnostic import Diagnostic, Edit, Fix, FixSafety, is_applicable
from .engine import LintOptions, lint_text
from .rule import Rule
from .source import apply_edits, line_starts, offset_of

# Drops findings that the source suppresses (``# noqa``) and may add its own;
# called with the text, the path and the findings of every lint pass.
Suppress = Callable[[str, str, list[Diagnostic]], list[Diagnostic]]

# A fix can expose another finding (an import it adds, a call it unwraps),
# so fixing repeats until nothing changes. A few passes settle every case the
# rules produce, and the bound ends the loop even if two fixes undid each other.
MAX_FIX_PASSES = 10


@dataclass(frozen=True)
class FixResult:
    """The outcome of fixing one text."""

    text: str
    diagnostics: list[Diagnostic]
    applied: int
    # Why the fixed text was rejected, None when it was accepted or unchanged.
    rejected: str | None = None


def fix_text(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    options: LintOptions | None = None,
    unsafe: bool = False,
    suppress: Suppress | None = None,
) -> FixResult:
    """Apply every applicable fix to ``text`` and return the verified result.

    Findings that ``suppress`` removes are neither reported nor fixed.
    """
    def lint(source: str) -> list[Diagnostic]:
        found = lint_text(source, path, rules, options)
        return found if suppress is None else suppress(source, path, found)

    current = text
    applied = 0
    diagnostics = lint(current)
    original_diagnostics = diagnostics

    for _ in range(MAX_FIX_PASSES):
        fixes = [d.fix for d in diagnostics if is_applicable(d.fix, unsafe)]
        if not fixes:
            break
        chosen = select_fixes(current, fixes)  # type: ignore[arg-type]
        edits = _unique_edits(chosen)
        current = apply_edits(current, edits)
        applied += len(chosen)
        diagnostics = lint(current)

    if current == text:
        return FixResult(text, diagnostics, 0)

    problem = verify(text, current, path)
    if problem is not None:
        note = f"; the fix was not applied because the fixed file {problem}"
        kept = [
            replace(d, message=d.message + note) if is_applicable(d.fix, unsafe) else d
            for d in original_diagnostics
        ]
        return FixResult(text, kept, 0, problem)
    return FixResult(current, diagnostics, applied)


def select_fixes(text: str, fixes: list[Fix]) -> list[Fix]:
    """Pick fixes whose edits do not overlap; the rest wait for the next pass.

    Identical edits from different fixes (two fixes that each add
    ``import asyncio``) are shared, not conflicting.
    """
    starts = line_starts(text)
    taken: dict[tuple[int, int], str] = {}
    chosen: list[Fix] = []

    for fix in sorted(fixes, key=lambda f: min(e.start for e in f.edits)):
        spans = [(offset_of(starts, e.start), offset_of(starts, e.end), e.content) for e in fix.edits]
        if any(_conflicts(span, taken) for span in spans):
            continue
        for begin, end, content in spans:
            taken[(begin, end)] = content
        chosen.append(fix)
    return chosen


def _conflicts(span: tuple[int, int, str], taken: dict[tuple[int, int], str]) -> bool:
    begin, end, content = span
    for (other_begin, other_end), other_content in taken.items():
        if (begin, end) == (other_begin, other_end):
            if content != other_content:
                return True
            continue
        if begin < other_end and other_begin < end:
            return True
        # Two insertions at one point, or an insertion strictly inside a span,
        # have no order that both fixes would agree on.
        if begin == end and other_begin < begin < other_end:
            return True
        if other_begin == other_end and begin < other_begin < end:
            return True
    return False


def _unique_edits(fixes: list[Fix]) -> list[Edit]:
    unique: dict[tuple[object, object, str], Edit] = {}
    for fix in fixes:
        for edit in fix.edits:
            unique.setdefault((edit.start, edit.end, edit.content), edit)
    return list(unique.values())


def verify(original: str, fixed: str, path: str) -> str | None:
    """Return why ``fixed`` must not be written, or None when it is sound.

    The fixed text must parse with LibCST and, when the original compiled
    with the running Python, compile too.
    """
    try:
        cst.parse_module(fixed)
    except (cst.ParserSyntaxError, RecursionError) as error:
        return f"does not parse ({str(error).splitlines()[0]})"

    if _compile_error(original, path) is None:
        problem = _compile_error(fixed, path)
        if problem is not None:
            return f"does not compile ({problem})"
    return None


def _compile_error(text: str, path: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"
    return None


class ConcurrentModificationError(OSError):
    """The file changed on disk between reading and writing it."""


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace the file's contents with ``data`` in one rename.

    The new bytes go to a temporary file in the same folder, which then
    replaces the original, so a crash never leaves a half-written file. The
    file mode is kept, and a symbolic link keeps pointing at the same file.
    When the file no longer contains ``expected`` (another process wrote it),
    nothing is written and ConcurrentModificationError is raised.

    A file with several hard links cannot be renamed over without splitting
    the links, so its bytes are overwritten in place instead. The complete
    fixed text is first saved and synced in the temporary file, which is
    removed only after the overwrite, so a crash midway loses nothing.
    """
    target = os.path.realpath(path)
    status = os.stat(target)
    mode = status.st_mode

    with open(target, "rb") as current:
        if current.read() != expected:
            raise ConcurrentModificationError(f"{path} changed while it was being fixed; run asynclint again")

    folder = os.path.dirname(target) or "."
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".asynclint-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode & 0o7777)
        if status.st_nlink > 1:
            _overwrite_in_place(target, data)
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _overwrite_in_place(target: str, data: bytes) -> None:
    with open(target, "r+b") as stream:
        stream.write(data)
        stream.truncate()
        stream.flush()
        os.fsync(stream.fileno())
