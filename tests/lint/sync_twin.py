"""The synchronous twin of a module: the same code with every async keyword removed.

A rule about code on the event loop must find nothing in the twin, because
no code there runs on a loop. Twins catch rules that match a call by name
without asking where it runs.
"""

from __future__ import annotations

import libcst as cst


class _RemoveAsync(cst.CSTTransformer):
    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return updated_node.with_changes(asynchronous=None)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        return updated_node.with_changes(asynchronous=None)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        return updated_node.with_changes(asynchronous=None)

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        return updated_node.with_changes(asynchronous=None)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        return updated_node.expression.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)


def sync_twin(source: str) -> str:
    return cst.parse_module(source).visit(_RemoveAsync()).code
