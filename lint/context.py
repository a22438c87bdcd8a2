"""The shared analysis that rules query during the one traversal of a file.

It tracks where the traversal is (the stack of scopes and of ancestor nodes)
and answers three questions without comparing source text: the canonical
dotted name of an expression (``aio.run`` -> ``asyncio.run``), the type of
a value when an assignment, ``with`` target, parameter annotation or
``self.x = ...`` shows it, and which ``def`` a name or ``self.method`` is.
"""

from __future__ import annotations

import builtins

import libcst as cst

from .scope import (
    Binding,
    DeclarationBinding,
    DefinitionBinding,
    ImportBinding,
    OwnCodeVisitor,
    Scope,
    ValueBinding,
)
from .typeinfo import ANNOTATION_ALIASES, COROUTINE_PRESERVING_DECORATORS, ENTER_TYPES, PATH, RETURN_TYPES
from .walk import walk

_BUILTIN_NAMES = frozenset(dir(builtins))

# Marks a name whose type is being inferred, to detect self-reference.
_PENDING = object()

# Type inference follows assignments through names; a cycle such as
# `a = b; b = a` must end somewhere.
_MAX_INFERENCE_DEPTH = 8


class LintContext:
    """The traversal position in one module, and the meaning of the names there."""

    # Classes named by user-declared blocking calls; the engine sets them
    # from the catalogue in force.
    declared_types: frozenset[str] = frozenset()

    def __init__(self, module: cst.Module, path: str) -> None:
        self.module = module
        self.path = path
        self.module_scope = Scope(module, None)
        self.scopes: list[Scope] = [self.module_scope]
        self.ancestors: list[cst.CSTNode] = []
        # Results that several rules need about the same node, keyed by purpose and node id.
        self.memo: dict[tuple[str, int], object] = {}
        self._assumed_types: dict[tuple[int, str], object] = {}
        self._saw_pending = False
        self._class_attributes: dict[int, dict[str, list[tuple[ValueBinding, Scope]]]] = {}

    # -- position in the tree ------------------------------------------------

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """Return the parent of ``node``, which must be on the ancestor stack."""
        for index in range(len(self.ancestors) - 1, 0, -1):
            if self.ancestors[index] is node:
                return self.ancestors[index - 1]
        return None

    def on_event_loop(self) -> bool:
        """Tell whether code here runs on the event loop.

        That is the case when the nearest enclosing function is ``async def``.
        A lambda or a nested ``def`` usually runs in a worker thread or as a
        callback, so its body does not count, while comprehensions and
        generator expressions inside a coroutine do.
        """
        for scope in reversed(self.scopes):
            if isinstance(scope.node, cst.Lambda):
                return False
            if isinstance(scope.node, cst.FunctionDef):
                return scope.node.asynchronous is not None
        return False

    def function_label(self) -> str:
        """Name the innermost function for messages, as ``Class.method``."""
        for index in range(len(self.scopes) - 1, -1, -1):
            node = self.scopes[index].node
            if isinstance(node, cst.Lambda):
                return "<lambda>"
            if isinstance(node, cst.FunctionDef):
                parts = [node.name.value]
                for outer in reversed(self.scopes[:index]):
                    if not isinstance(outer.node, cst.ClassDef):
                        break
                    parts.append(outer.node.name.value)
                return ".".join(reversed(parts))
        return "<module>"

    # -- names ---------------------------------------------------------------

    def lookup(self, name: str, scope: Scope | None = None) -> tuple[Scope, list[Binding]] | None:
        """Find the scope that binds ``name`` as seen from ``scope``."""
        chain = (scope or self.scope).lookup_chain()
        index = 0
        while index < len(chain):
            current = chain[index]
            bindings = current.bindings.get(name)
            index += 1
            if not bindings:
                continue

            declaration = next((b for b in bindings if isinstance(b, DeclarationBinding)), None)
            if declaration is None:
                return current, bindings
            if declaration.is_global:
                module_bindings = self.module_scope.bindings.get(name)
                return (self.module_scope, module_bindings) if module_bindings else None
            # `nonlocal`: keep looking in the enclosing function scopes.
        return None

    def qualified_name(self, node: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """Return the canonical dotted name that ``node`` refers to, if known.

        ``aio.run`` after ``import asyncio as aio`` is ``asyncio.run``, a free
        ``open`` is ``builtins.open``, and a name that a local assignment or
        parameter shadows has no canonical name.
        """
        if isinstance(node, cst.Attribute):
            base = self.qualified_name(node.value, scope)
            return f"{base}.{node.attr.value}" if base else None

        if not isinstance(node, cst.Name):
            return None

        found = self.lookup(node.value, scope)
        if found is None:
            return f"builtins.{node.value}" if node.value in _BUILTIN_NAMES else None
        return _import_target(found[1])

    def module_reference(self, module: str) -> tuple[str, bool] | None:
        """Return how code here can refer to ``module``, for fixes.

        The result is the expression text and whether an ``import`` must be
        added for it; None when the plain name is taken by something else.
        """
        found = self.lookup(module)
        if found is not None and _import_target(found[1]) == module:
            return module, False

        # `import asyncio as aio` at module level: use the alias, not a new import.
        for alias, bindings in self.module_scope.bindings.items():
            if _import_target(bindings) == module:
                seen = self.lookup(alias)
                if seen is not None and _import_target(seen[1]) == module:
                    return alias, False

        if found is None:
            return module, True
        return None

    # -- values --------------------------------------------------------------

    def type_of(self, node: cst.BaseExpression, scope: Scope | None = None, depth: int = 0) -> str | None:
        """Return the canonical type name of the value of ``node``, if known."""
        if depth > _MAX_INFERENCE_DEPTH:
            return None
        depth += 1

        if isinstance(node, cst.Call):
            return self._call_type(node, scope, depth)
        if isinstance(node, cst.Name):
            return self._name_type(node.value, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute_type(node, scope, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            return PATH if self.type_of(node.left, scope, depth) == PATH else None
        return None

    def annotation_type(self, annotation: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """Return the type an annotation names, treating ``X | None`` as ``X``."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            for side in (annotation.left, annotation.right):
                if not (isinstance(side, cst.Name) and side.value == "None"):
                    return self.annotation_type(side, scope)
            return None

        if isinstance(annotation, cst.Subscript):
            # Optional[X] and IO[str] name X and IO.
            name = self.qualified_name(annotation.value, scope)
            if name == "typing.Optional" and len(annotation.slice) == 1:
                element = annotation.slice[0].slice
                if isinstance(element, cst.Index):
                    return self.annotation_type(element.value, scope)
                return None
            return ANNOTATION_ALIASES.get(name) if name else None

        name = self.qualified_name(annotation, scope)
        if name in self.declared_types:
            return name
        return ANNOTATION_ALIASES.get(name) if name else None

    def _call_type(self, node: cst.Call, scope: Scope | None, depth: int) -> str | None:
        name = self.qualified_name(node.func, scope)
        if name in RETURN_TYPES:
            return RETURN_TYPES[name]
        if name in self.declared_types:
            return name

        if isinstance(node.func, cst.Attribute):
            receiver = self.type_of(node.func.value, scope, depth)
            return RETURN_TYPES.get(f"{receiver}.{node.func.attr.value}") if receiver else None

        callee = self.type_of(node.func, scope, depth)
        return RETURN_TYPES.get(f"{callee}.__call__") if callee else None

    def _name_type(self, name: str, scope: Scope | None, depth: int) -> str | None:
        found = self.lookup(name, scope)
        if found is None:
            return None
        owner, bindings = found
        key = (id(owner), name)

        if key in self._assumed_types:
            # A binding refers to the name itself (`df = df.reset_index()`).
            assumed = self._assumed_types[key]
            if assumed is _PENDING:
                self._saw_pending = True
                return None
            return assumed  # type: ignore[return-value]

        # First pass: the bindings that do not depend on the name itself
        # must agree on one type. Second pass: assuming that type, the
        # self-referring bindings must give it too.
        outer_saw_pending = self._saw_pending
        saw_any_pending = False
        self._assumed_types[key] = _PENDING
        try:
            direct: list[tuple[Binding, Scope]] = []
            recursive: list[tuple[Binding, Scope]] = []
            for binding in bindings:
                self._saw_pending = False
                self._agreed_type([(binding, owner)], depth)
                saw_any_pending = saw_any_pending or self._saw_pending
                (recursive if self._saw_pending else direct).append((binding, owner))

            candidate = self._agreed_type(direct, depth)
            if candidate is None or not recursive:
                return candidate
            self._assumed_types[key] = candidate
            return candidate if self._agreed_type(recursive, depth) == candidate else None
        finally:
            del self._assumed_types[key]
            # An outer inference may depend on a name pending here, so the
            # flag is passed on (which at worst re-checks an outer binding).
            self._saw_pending = outer_saw_pending or saw_any_pending

    def _attribute_type(self, node: cst.Attribute, scope: Scope | None, depth: int) -> str | None:
        if isinstance(node.value, cst.Name):
            cls = self.receiver_class(node.value, scope)
            if cls is not None:
                return self._class_attribute_type(cls, node.attr.value, depth)

        receiver = self.type_of(node.value, scope, depth)
        return RETURN_TYPES.get(f"{receiver}.{node.attr.value}") if receiver else None

    def _agreed_type(self, bindings: list[tuple[Binding, Scope]], depth: int) -> str | None:
        """Return the one type that every binding gives, or None."""
        types: set[str | None] = set()
        for binding, owner in bindings:
            if not isinstance(binding, ValueBinding):
                return None
            types.add(self._binding_type(binding, owner, depth))
            if len(types) > 1 or None in types:
                return None
        return types.pop() if types else None

    def _binding_type(self, binding: ValueBinding, owner: Scope, depth: int) -> str | None:
        if binding.annotation is not None:
            annotated = self.annotation_type(binding.annotation, owner)
            if annotated is not None:
                return annotated
        if binding.value is None:
            return None

        # A value is evaluated where it is bound, so names in it are looked
        # up from the owner scope, not from where the rule asked.
        value_type = self.type_of(binding.value, owner, depth)
        if binding.entered and value_type is not None:
            return ENTER_TYPES.get(value_type, value_type)
        return value_type

    # -- methods and functions ------------------------------------------------

    def receiver_class(self, name: cst.Name, scope: Scope | None = None) -> cst.ClassDef | None:
        """Return the class when ``name`` is the ``self`` or ``cls`` of a method."""
        found = self.lookup(name.value, scope)
        if found is None:
            return None
        owner, _ = found
        method = owner.node
        if not isinstance(method, cst.FunctionDef):
            return None
        cls = owner.enclosing_class()
        if cls is None or _is_static(method):
            return None

        params = [*method.params.posonly_params, *method.params.params]
        if not params or params[0].name.value != name.value:
            return None
        return cls

    def resolve_function(self, node: cst.BaseExpression, scope: Scope | None = None) -> cst.FunctionDef | None:
        """Return the ``def`` that a name or ``self.method`` refers to, if any."""
        found = self.resolve_definition(node, scope)
        return found[0] if found is not None else None

    def resolve_definition(self, node: cst.BaseExpression, scope: Scope | None = None) -> tuple[cst.FunctionDef, Scope] | None:
        """Return the ``def`` that a name or ``self.method`` refers to, with the scope it is defined in.

        The scope lets a rule analyse the function's body later, away from
        where the traversal is (a method's scope is its class body's scope).
        """
        if isinstance(node, cst.Name):
            found = self.lookup(node.value, scope)
            if found is None:
                return None
            owner, bindings = found
            definitions = [b for b in bindings if isinstance(b, DefinitionBinding)]
            if len(definitions) != len(bindings):
                return None
            last = definitions[-1].node
            return (last, owner) if isinstance(last, cst.FunctionDef) else None

        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            cls = self.receiver_class(node.value, scope)
            if cls is None:
                return None
            method = _method_of(cls, node.attr.value)
            if method is None:
                return None
            # receiver_class checked that the receiver is the first parameter
            # of a method, so the lookup's owner is that method's scope.
            found = self.lookup(node.value.value, scope)
            class_scope = found[0].parent if found is not None else None
            return (method, class_scope) if class_scope is not None else None
        return None

    def is_coroutine_function(self, node: cst.BaseExpression, scope: Scope | None = None) -> bool:
        """Tell whether ``node`` names an ``async def`` (not a generator) here.

        A decorator can turn a coroutine function into anything (asgiref's
        ``async_to_sync`` makes it sync), so only decorators known to keep
        it a coroutine function are looked through.
        """
        function = self.resolve_function(node, scope)
        if function is None or function.asynchronous is None or _is_generator(function):
            return False
        return all(self._keeps_coroutine(decorator.decorator) for decorator in function.decorators)

    def _keeps_coroutine(self, decorator: cst.BaseExpression) -> bool:
        target = decorator.func if isinstance(decorator, cst.Call) else decorator
        if isinstance(target, cst.Name) and target.value in ("staticmethod", "classmethod"):
            return True
        name = self.qualified_name(target)
        return name is not None and (name in COROUTINE_PRESERVING_DECORATORS or name.startswith("pytest.mark."))

    def _class_attribute_type(self, cls: cst.ClassDef, attribute: str, depth: int) -> str | None:
        bindings = self._class_attributes_of(cls).get(attribute)
        if not bindings:
            return None

        # A class-level annotation (`session: requests.Session`, as in a
        # dataclass) states the type even when the value is set elsewhere.
        for binding, owner in bindings:
            if binding.annotation is not None and owner.node is cls:
                return self.annotation_type(binding.annotation, owner)
        return self._agreed_type(list(bindings), depth)

    def _class_attributes_of(self, cls: cst.ClassDef) -> dict[str, list[tuple[ValueBinding, Scope]]]:
        key = id(cls)
        if key not in self._class_attributes:
            self._class_attributes[key] = self._collect_class_attributes(cls)
        return self._class_attributes[key]

    def _collect_class_attributes(self, cls: cst.ClassDef) -> dict[str, list[tuple[ValueBinding, Scope]]]:
        class_scope = self._scope_for(cls)
        attributes: dict[str, list[tuple[ValueBinding, Scope]]] = {}

        for name, bindings in class_scope.bindings.items():
            for binding in bindings:
                if isinstance(binding, ValueBinding) and binding.annotation is not None:
                    attributes.setdefault(name, []).append((binding, class_scope))

        for statement in _class_body(cls):
            if isinstance(statement, cst.FunctionDef) and not _is_static(statement):
                method_scope = Scope(statement, class_scope)
                collector = _SelfAssignmentCollector(_first_parameter(statement))
                walk(statement.body, collector)
                for name, binding in collector.assignments:
                    attributes.setdefault(name, []).append((binding, method_scope))
        return attributes

    def _scope_for(self, node: cst.ClassDef) -> Scope:
        for scope in self.scopes:
            if scope.node is node:
                return scope
        return Scope(node, self.module_scope)


class _SelfAssignmentCollector(cst.CSTVisitor):
    """Collect ``self.attr = value`` in one method, not in nested functions."""

    def __init__(self, receiver: str | None) -> None:
        super().__init__()
        self.receiver = receiver
        self.assignments: list[tuple[str, ValueBinding]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _record(self, target: cst.BaseExpression, binding: ValueBinding) -> None:
        if (
            self.receiver is not None
            and isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == self.receiver
        ):
            self.assignments.append((target.attr.value, binding))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record(target.target, ValueBinding(value=node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record(node.target, ValueBinding(value=node.value, annotation=node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._record(node.target, ValueBinding())

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._record(node.asname.name, ValueBinding(value=node.item, entered=True))


def _import_target(bindings: list[Binding]) -> str | None:
    """Return the module or object that all import bindings agree on.

    A fallback of ``None`` (``except ImportError: yf = None``) keeps the name;
    any other non-import binding shadows it.
    """
    targets: set[str | None] = set()
    for binding in bindings:
        if isinstance(binding, ImportBinding):
            targets.add(binding.target)
        elif not (
            isinstance(binding, ValueBinding)
            and isinstance(binding.value, cst.Name)
            and binding.value.value == "None"
        ):
            return None
    if len(targets) != 1:
        return None
    return targets.pop()


def _class_body(cls: cst.ClassDef) -> list[cst.CSTNode]:
    body = cls.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return []


def _method_of(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    found: cst.FunctionDef | None = None
    for statement in _class_body(cls):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            found = statement
    return found


def _first_parameter(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _is_static(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return True
    return False


def is_generator(function: cst.FunctionDef) -> bool:
    """Tell whether ``function`` yields, so that calling it runs none of its body."""
    return _is_generator(function)


def _is_generator(function: cst.FunctionDef) -> bool:
    """Tell whether the body yields; an ``async def`` that yields is no coroutine."""
    finder = _YieldFinder()
    walk(function.body, finder)
    return finder.found


class _YieldFinder(OwnCodeVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False
