"""Scopes and the names bound in them.

Each module, class, function and lambda is a scope. The bindings of a scope
are collected lazily, the first time a rule asks about a name in it, by a
walk of that scope's own code that stops at nested scopes. Most functions are
never asked about, so most are never walked twice.

The analysis is flow-insensitive: a name bound twice in one scope to values
of different types has no known type. That keeps `x = requests.Session()`
after `x = None` from being trusted, at the cost of missing some findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import libcst as cst

from .walk import walk

Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
ScopeNode = Union[cst.Module, cst.ClassDef, cst.FunctionDef, cst.Lambda, Comprehension]


@dataclass(frozen=True)
class ImportBinding:
    """A name bound by an import; ``target`` is the dotted name it refers to.

    ``target`` is None for relative imports, which still shadow outer names;
    ``relative`` then keeps the name as written, such as ``..helpers.load``.
    """

    target: str | None
    relative: str | None = None


@dataclass(frozen=True)
class ValueBinding:
    """A name bound by assignment, a parameter, ``with ... as`` or a loop.

    ``value`` is the assigned expression when there is exactly one, and
    ``entered`` marks a ``with`` target, whose value is ``value.__enter__()``.
    """

    value: cst.BaseExpression | None = None
    annotation: cst.BaseExpression | None = None
    entered: bool = False


@dataclass(frozen=True)
class DefinitionBinding:
    """A name bound by ``def``, ``async def`` or ``class``."""

    node: cst.FunctionDef | cst.ClassDef


@dataclass(frozen=True)
class DeclarationBinding:
    """A ``global`` or ``nonlocal`` declaration: look the name up elsewhere."""

    is_global: bool


Binding = Union[ImportBinding, ValueBinding, DefinitionBinding, DeclarationBinding]


class Scope:
    """A module, class, function or lambda, with lazily collected bindings."""

    def __init__(self, node: ScopeNode, parent: Scope | None) -> None:
        self.node = node
        self.parent = parent
        self._bindings: dict[str, list[Binding]] | None = None

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, (cst.FunctionDef, cst.Lambda))

    @property
    def is_async_function(self) -> bool:
        return isinstance(self.node, cst.FunctionDef) and self.node.asynchronous is not None

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        if self._bindings is None:
            self._bindings = collect_bindings(self.node)
        return self._bindings

    def lookup_chain(self) -> list[Scope]:
        """Return the scopes a name used here is looked up in, innermost first.

        Class bodies are skipped for code nested inside them, as Python does:
        a method cannot see the names of its class body.
        """
        chain: list[Scope] = [self]
        scope = self.parent
        while scope is not None:
            if not isinstance(scope.node, cst.ClassDef):
                chain.append(scope)
            scope = scope.parent
        return chain

    def enclosing_class(self) -> cst.ClassDef | None:
        """Return the class whose method this function scope is, if any."""
        if self.parent is not None and isinstance(self.parent.node, cst.ClassDef):
            return self.parent.node
        return None


def collect_bindings(node: ScopeNode) -> dict[str, list[Binding]]:
    """Collect the names bound directly in one scope."""
    collector = _BindingCollector()

    if isinstance(node, (cst.FunctionDef, cst.Lambda)):
        collector.add_parameters(node.params)
        walk(node.body, collector)
    elif isinstance(node, cst.ClassDef):
        walk(node.body, collector)
    elif isinstance(node, COMPREHENSIONS):
        # Only the `for` targets are local to a comprehension.
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            collector.add_target(clause.target, ValueBinding())
            clause = clause.inner_for_in
    else:
        for statement in node.body:
            walk(statement, collector)

    return collector.bindings


class _BindingCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.bindings: dict[str, list[Binding]] = {}

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def add_parameters(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for param in every:
            annotation = param.annotation.annotation if param.annotation else None
            self.add(param.name.value, ValueBinding(annotation=annotation))

        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.add(star.name.value, ValueBinding())

    def add_target(self, target: cst.BaseExpression, binding: ValueBinding) -> None:
        if isinstance(target, cst.Name):
            self.add(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            # Unpacking gives each name one element, whose type is unknown.
            for element in target.elements:
                self.add_target(element.value, ValueBinding())
        elif isinstance(target, cst.StarredElement):
            self.add_target(target.value, ValueBinding())

    # Nested scopes bind their own name here; their insides belong to them.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.add(node.name.value, DefinitionBinding(node))
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.add(node.name.value, DefinitionBinding(node))
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    # A comprehension's `for` targets are its own, but an assignment
    # expression inside it binds in the enclosing scope (PEP 572).
    def _comprehension(self, node: cst.CSTNode) -> bool:
        finder = _WalrusFinder()
        node.visit(finder)
        for target, value in finder.found:
            self.add_target(target, ValueBinding(value=value))
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.add_target(target.target, ValueBinding(value=node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        binding = ValueBinding(value=node.value, annotation=node.annotation.annotation)
        self.add_target(node.target, binding)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.add_target(node.target, ValueBinding())

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.add_target(node.target, ValueBinding(value=node.value))

    def visit_For(self, node: cst.For) -> None:
        self.add_target(node.target, ValueBinding())

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.add_target(node.asname.name, ValueBinding(value=node.item, entered=True))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.add_target(node.name.name, ValueBinding())

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self.add_target(node.name.name, ValueBinding())

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.add(node.name.value, ValueBinding())

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.add(node.name.value, ValueBinding())

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.add(node.rest.value, ValueBinding())

    def visit_Del(self, node: cst.Del) -> None:
        self.add_target(node.target, ValueBinding())

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.add(item.name.value, DeclarationBinding(is_global=True))

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self.add(item.name.value, DeclarationBinding(is_global=False))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.add(alias.asname.name.value, ImportBinding(dotted))
            elif dotted is not None:
                # `import os.path` binds `os` to the top-level package.
                top = dotted.split(".", 1)[0]
                self.add(top, ImportBinding(top))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module is not None else None
        prefix = None
        if node.relative:
            prefix = "." * len(node.relative) + (f"{module}." if module else "")
            module = None
        if isinstance(node.names, cst.ImportStar):
            return

        for alias in node.names:
            imported = alias.name.value if isinstance(alias.name, cst.Name) else None
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            else:
                local = imported
            if local is None:
                continue
            target = f"{module}.{imported}" if module and imported else None
            relative = f"{prefix}{imported}" if prefix and imported else None
            self.add(local, ImportBinding(target, relative))


class OwnCodeVisitor(cst.CSTVisitor):
    """A visitor of one function's own code, which skips nested functions, lambdas and classes."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


class _WalrusFinder(cst.CSTVisitor):
    """Collects ``name := value`` inside a comprehension, not in nested functions."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.found.append((node.target, node.value))

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def dotted_name(node: cst.BaseExpression) -> str | None:
    """Return ``a.b.c`` for a Name or Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))
