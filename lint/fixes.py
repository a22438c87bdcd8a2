"""Building text edits for fixes once positions are known.

Fixes edit as little text as possible: ``time.sleep(1)`` becomes
``await asyncio.sleep(1)`` by inserting ``await `` and replacing the callee,
so comments and formatting inside the arguments stay untouched.
"""

from __future__ import annotations

import bisect
from typing import Mapping

import libcst as cst
from libcst.metadata import CodeRange

from .diagnostic import Edit, Fix, FixSafety, Position
from .source import line_starts


class FixBuilder:
    """Positions, source text and edit helpers for one parsed file."""

    def __init__(self, module: cst.Module, text: str, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        self.module = module
        self.text = text
        self.positions = positions
        self._starts = line_starts(text)

    # -- positions -----------------------------------------------------------

    def start(self, node: cst.CSTNode) -> Position:
        where = self.positions[node].start
        return Position(where.line, where.column)

    def end(self, node: cst.CSTNode) -> Position:
        where = self.positions[node].end
        return Position(where.line, where.column)

    def offset(self, position: Position) -> int:
        return self._starts[position.line - 1] + position.column

    def position_at(self, offset: int) -> Position:
        line = bisect.bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1])

    def source(self, node: cst.CSTNode) -> str:
        """Return the node's original text, without enclosing parentheses."""
        return self.text[self.offset(self.start(node)) : self.offset(self.end(node))]

    # -- edits ---------------------------------------------------------------

    def insert(self, position: Position, content: str) -> Edit:
        return Edit(position, position, content)

    def replace(self, node: cst.CSTNode, content: str) -> Edit:
        return Edit(self.start(node), self.end(node), content)

    def delete_between(self, start: Position, end: Position) -> Edit:
        return Edit(start, end, "")

    def import_edit(self, module_name: str) -> Edit:
        """Insert ``import <module_name>`` after the leading imports of the module.

        The leading imports are those right after the docstring and the
        ``from __future__`` imports; with none, the import goes before the
        first statement.
        """
        newline = self.module.default_newline
        statement = f"import {module_name}{newline}"
        body = list(self.module.body)

        index = 0
        if body and _is_docstring(body[0]):
            index = 1
        while index < len(body) and _is_future_import(body[index]):
            index += 1
        first = index
        while index < len(body) and _is_import(body[index]):
            index += 1

        if index > first or (index == len(body) and index > 0):
            # After the last leading import (or docstring or __future__ import).
            end = self.end(body[index - 1])
            if end.line < len(self._starts):
                return self.insert(Position(end.line + 1, 0), statement)
            ending = "" if self.text.endswith(("\n", "\r")) else newline
            return self.insert(self.position_at(len(self.text)), f"{ending}{statement}")

        if index < len(body):
            return self.insert(Position(self.start(body[index]).line, 0), statement)
        return self.insert(Position(1, 0), statement)

    def opening_parenthesis(self, call: cst.Call) -> Position:
        """Return the position of the ``(`` that opens a call's arguments."""
        offset = self.text.index("(", self.offset(self.end(call.func)))
        return self.position_at(offset)

    def has_comment_between(self, start: Position, end: Position) -> bool:
        return "#" in self.text[self.offset(start) : self.offset(end)]


def await_module_call(builder: FixBuilder, call: cst.Call, module: tuple[str, bool], function: str) -> list[Edit]:
    """Edits turning ``f(args)`` into ``await <module>.<function>(args)``."""
    reference, needs_import = module
    edits = [
        builder.insert(builder.start(call), "await "),
        builder.replace(call.func, f"{reference}.{function}"),
    ]
    if needs_import:
        edits.append(builder.import_edit(reference))
    return edits


def await_to_thread(builder: FixBuilder, call: cst.Call, module: tuple[str, bool]) -> list[Edit]:
    """Edits turning ``f(args)`` into ``await asyncio.to_thread(f, args)``."""
    reference, needs_import = module
    parenthesis = builder.opening_parenthesis(call)
    after = Position(parenthesis.line, parenthesis.column + 1)
    following = builder.text[builder.offset(after) : builder.offset(after) + 1]

    # `f(\n    x)` and `f(  # note` already have white space after the
    # parenthesis, so the comma that replaces it needs none of its own.
    separator = ""
    if call.args:
        separator = "," if following in (" ", "\t", "\r", "\n", "#", "\\") else ", "

    edits = [
        builder.insert(builder.start(call), f"await {reference}.to_thread("),
        Edit(parenthesis, after, separator),
    ]

    # `f(x for x in y)` is valid only as a sole argument; as the second
    # argument of to_thread the generator needs its own parentheses.
    only = call.args[0].value if len(call.args) == 1 else None
    if isinstance(only, cst.GeneratorExp) and not only.lpar:
        edits.append(builder.insert(builder.start(only), "("))
        edits.append(builder.insert(builder.end(only), ")"))
    if builder.end(call.func) != parenthesis:
        # `f (x)`: drop the space before the parenthesis, which is now a comma.
        edits.append(builder.delete_between(builder.end(call.func), parenthesis))
    if needs_import:
        edits.append(builder.import_edit(reference))
    return edits


def unwrap_to_awaited(builder: FixBuilder, outer: cst.CSTNode, inner: cst.BaseExpression, title: str, safety: FixSafety) -> Fix:
    """A fix that replaces ``outer`` with ``await <inner>``.

    Text outside ``inner`` is dropped; when it contains a comment, the fix is
    downgraded to unsafe, because safe fixes never lose a comment.
    """
    outer_start, outer_end = builder.start(outer), builder.end(outer)
    inner_start, inner_end = builder.start(inner), builder.end(inner)

    edits = (
        Edit(outer_start, inner_start, "await "),
        Edit(inner_end, outer_end, ""),
    )
    loses_comment = builder.has_comment_between(outer_start, inner_start) or builder.has_comment_between(
        inner_end, outer_end
    )
    return Fix(title, FixSafety.UNSAFE if loses_comment else safety, edits)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_future_import(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return any(
        isinstance(small, cst.ImportFrom)
        and isinstance(small.module, cst.Name)
        and small.module.value == "__future__"
        for small in statement.body
    )
