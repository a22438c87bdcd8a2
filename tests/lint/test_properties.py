"""Properties of the engine and the fixer on generated programs.

Three sources of programs:

* hypothesmith, from Python's grammar and from LibCST node trees;
* seeds (the lint fixtures and every rule's own examples) changed by
  mutations. The mutations rename identifiers, alias imports, nest calls,
  move code into classes, lambdas, comprehensions, decorators, ``match``,
  walrus, ``async with`` and ``async for``, and add type hints and f-strings
  with nested quotes;
* coroutines built from ``time.sleep()`` calls and side effects, which are
  run before and after the safe fix.

The properties: linting never crashes (AIO001 exactly for sources that do not
compile); the output of ``--fix --unsafe-fixes`` parses, compiles and is a
fixed point; a file with nothing to fix is written back byte for byte; safe
fixes keep what the program returns and does.

The suite runs a few dozen examples per property. ``scripts/fuzz.py`` runs
the same properties for as long as asked, through ASYNCLINT_FUZZ_EXAMPLES.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import contextlib
import io
import json
import os
import random
import sysconfig
import tempfile
import warnings
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from asynclint import cli
from asynclint.engine import LintOptions, lint_text
from asynclint.fixer import fix_text
from asynclint.rules import ALL_RULES
from asynclint.runner import FileMode, process_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "lint"

# The normal suite stays at a few seconds; the fuzz script raises this.
FUZZING = "ASYNCLINT_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("ASYNCLINT_FUZZ_EXAMPLES", "30"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


# -- checks shared by all generators -----------------------------------------


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "generated.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def ast_parses(text: str) -> bool:
    """Whether CPython's parser accepts the text (the check the engine makes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def assert_lints_without_crash(text: str) -> None:
    diagnostics = lint_text(text, "generated.py", ALL_RULES)
    codes = [d.code for d in diagnostics]

    assert "AIO003" not in codes, [d.message for d in diagnostics if d.code == "AIO003"]
    if not ast_parses(text):
        # Findings may come with it when LibCST reads what this Python does not.
        assert "AIO001" in codes, codes
    else:
        # AIO001 on a source that Python parses only when LibCST cannot read it.
        libcst_gaps = [d for d in diagnostics if d.code == "AIO001" and "although Python can" not in d.message]
        assert not libcst_gaps, [d.message for d in libcst_gaps]


def assert_fix_is_sound(text: str) -> str:
    """Check the fixed output of ``--fix --unsafe-fixes`` and return it."""
    result = fix_text(text, "generated.py", ALL_RULES, unsafe=True)
    fixed = result.text

    assert not any(d.code == "AIO003" for d in result.diagnostics), [d.message for d in result.diagnostics]
    if fixed == text:
        return fixed

    cst.parse_module(fixed)
    if compiles(text):
        assert compiles(fixed), f"the fix broke compilation:\n{fixed}"
    again = fix_text(fixed, "generated.py", ALL_RULES, unsafe=True)
    assert again.text == fixed, "a second fix pass changed the output"
    return fixed


def cli_exit_code(folder: str, text: str, *arguments: str) -> tuple[int, list[dict]]:
    path = os.path.join(folder, "generated.py")
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([*arguments, "--no-cache", "-j", "1", "--format", "json", path])
    return code, json.loads(output.getvalue() or "[]")


# -- seeds and mutations -------------------------------------------------------


def _seeds() -> list[str]:
    seeds = []
    for path in sorted(FIXTURES.glob("*/*.py")):
        seeds.append(path.read_text(encoding="utf-8"))
    for rule in ALL_RULES:
        seeds.extend(rule.valid)
        seeds.extend(example.source for example in rule.invalid)
        seeds.extend(example.fixed for example in rule.invalid if example.fixed)
    if FUZZING:
        # The long run also mutates real code: the stdlib modules that use async.
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for path in sorted(stdlib.glob("asyncio/*.py"))[:60]:
            seeds.append(path.read_text(encoding="utf-8"))
    # Never empty, so the strategy below always has something to draw.
    return seeds or ["import time\nasync def f():\n    time.sleep(1)\n"]


SEEDS = _seeds()


def _parse(source: str) -> cst.Module | None:
    try:
        return cst.parse_module(source)
    except Exception:  # noqa: BLE001 - a mutation that broke the seed is skipped
        return None


class _Rename(cst.CSTTransformer):
    """Renames every name that the module defines itself (functions, parameters, targets)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    # Module paths in imports are not the module's own names.
    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if updated_node.value in self.names:
            return updated_node.with_changes(value=f"{updated_node.value}_renamed")
        return updated_node


def _own_names(module: cst.Module) -> set[str]:
    tree = ast.parse(module.code)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg) and node.arg not in {"self", "cls"}:
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    # Names that are also attributes, keywords or builtins would change meaning:
    # renaming a parameter `open` everywhere would rename the builtin too.
    names -= set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.discard(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            names.discard(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.discard(alias.asname or alias.name.split(".")[0])
                names.discard(alias.name.split(".")[0])
    return names


def rename_identifiers(module: cst.Module, rnd: random.Random) -> cst.Module:
    return module.visit(_Rename(_own_names(module)))


class _AliasImports(cst.CSTTransformer):
    """``import time`` becomes ``import time as time_alias`` and every use follows."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def leave_ImportAlias(self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias) -> cst.ImportAlias:
        if updated_node.asname is None and isinstance(updated_node.name, cst.Name):
            name = updated_node.name.value
            if name == "__future__":
                return updated_node
            alias = f"{name}_alias"
            self.aliases[name] = alias
            return updated_node.with_changes(asname=cst.AsName(name=cst.Name(alias)))
        return updated_node


class _FollowAliases(cst.CSTTransformer):
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.in_import = 0

    def visit_Import(self, node: cst.Import) -> None:
        self.in_import += 1

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        self.in_import -= 1
        return updated_node

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # Only the leftmost name of a dotted chain refers to the module.
        node.value.visit(self)
        return True

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        if not self.in_import and updated_node.value in self.aliases:
            return updated_node.with_changes(value=self.aliases[updated_node.value])
        return updated_node


def alias_imports(module: cst.Module, rnd: random.Random) -> cst.Module:
    aliasing = _AliasImports()
    module = module.visit(aliasing)
    return module.visit(_FollowAliases(aliasing.aliases))


class _StatementMutation(cst.CSTTransformer):
    """Rewrites some expression statements that are calls, chosen at random."""

    def __init__(self, rnd: random.Random, rewrite) -> None:  # type: ignore[no-untyped-def]
        self.rnd = rnd
        self.rewrite = rewrite

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.Expr:
        if isinstance(updated_node.value, cst.Call) and self.rnd.random() < 0.7:
            return updated_node.with_changes(value=cst.parse_expression(self.rewrite(_code(updated_node.value))))
        return updated_node


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _expression_mutation(template: str):  # type: ignore[no-untyped-def]
    def mutate(module: cst.Module, rnd: random.Random) -> cst.Module:
        return module.visit(_StatementMutation(rnd, lambda call: template.format(call=call)))

    mutate.__name__ = template
    return mutate


nest_calls = _expression_mutation("print(id({call}), str({call}))")
in_lambda = _expression_mutation("(lambda: {call})()")
in_comprehension = _expression_mutation("[{call} for _ in range(1)]")
in_walrus = _expression_mutation("(value_w := {call})")
in_fstring = _expression_mutation("f\"{{ {call}!r:>{{'10'}} }} {{f'{{1}}'}}\"")


class _BlockWrap(cst.CSTTransformer):
    """Wraps the body of some functions in a compound statement."""

    def __init__(self, rnd: random.Random, header: str, only_async: bool) -> None:
        self.rnd = rnd
        self.header = header
        self.only_async = only_async

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if self.only_async and updated_node.asynchronous is None:
            return updated_node
        if not isinstance(updated_node.body, cst.IndentedBlock) or self.rnd.random() < 0.3:
            return updated_node
        wrapper = cst.parse_statement(f"{self.header}\n    pass\n")
        inner = updated_node.body.body
        if isinstance(wrapper, cst.Match):
            case = wrapper.cases[0].with_changes(body=cst.IndentedBlock(body=inner))
            wrapper = wrapper.with_changes(cases=[case])
        else:
            wrapper = wrapper.with_changes(body=cst.IndentedBlock(body=inner))  # type: ignore[union-attr]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=[wrapper]))


def _block_mutation(header: str, only_async: bool = False):  # type: ignore[no-untyped-def]
    def mutate(module: cst.Module, rnd: random.Random) -> cst.Module:
        return module.visit(_BlockWrap(rnd, header, only_async))

    mutate.__name__ = header
    return mutate


in_match = _block_mutation("match value_m:\n  case [first, *rest] if first:\n    pass\n  case _:")
in_async_with = _block_mutation("async with contextlib.nullcontext() as ctx:", only_async=True)
in_async_for = _block_mutation("async for item in agen():", only_async=True)
in_with = _block_mutation("with open('x') as stream, lock:")
in_try = _block_mutation("try:\n    pass\nexcept* ValueError:\n    pass\nelse:")


def into_class(module: cst.Module, rnd: random.Random) -> cst.Module:
    body = list(module.body)
    keep = [s for s in body if _is_import_line(s)]
    moved = [s for s in body if not _is_import_line(s)]
    if not moved:
        return module
    holder = cst.ClassDef(name=cst.Name("Holder"), body=cst.IndentedBlock(body=moved))
    return module.with_changes(body=[*keep, holder])


def _is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


class _Decorate(cst.CSTTransformer):
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        choice = self.rnd.choice(["(lambda f: f)", "functools.lru_cache(maxsize=None)", "staticmethod", "deco.attr[0](1)"])
        decorator = cst.Decorator(decorator=cst.parse_expression(choice))
        return updated_node.with_changes(decorators=[decorator, *updated_node.decorators])


def add_decorators(module: cst.Module, rnd: random.Random) -> cst.Module:
    return module.visit(_Decorate(rnd))


class _Annotate(cst.CSTTransformer):
    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        if updated_node.annotation is None:
            return updated_node.with_changes(annotation=cst.Annotation(cst.parse_expression("'list[int] | None'")))
        return updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if updated_node.returns is None:
            return updated_node.with_changes(returns=cst.Annotation(cst.parse_expression("typing.Awaitable[None]")))
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign):  # type: ignore[no-untyped-def]
        if len(updated_node.targets) == 1 and isinstance(updated_node.targets[0].target, cst.Name):
            return cst.AnnAssign(
                target=updated_node.targets[0].target,
                annotation=cst.Annotation(cst.parse_expression("object")),
                value=updated_node.value,
            )
        return updated_node


def add_type_hints(module: cst.Module, rnd: random.Random) -> cst.Module:
    return module.visit(_Annotate())


MUTATIONS = [
    rename_identifiers, alias_imports, nest_calls, in_lambda, in_comprehension, in_walrus, in_fstring,
    in_match, in_async_with, in_async_for, in_with, in_try, into_class, add_decorators, add_type_hints,
]


@st.composite
def mutated_seeds(draw) -> str:  # type: ignore[no-untyped-def]
    source = draw(st.sampled_from(SEEDS))
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    module = _parse(source)
    if module is None:
        return source
    for mutation in mutations:
        try:
            module = mutation(module, rnd)
        except Exception:  # noqa: BLE001 - a mutation that does not apply is skipped
            continue
    return module.code


# -- never crashes -------------------------------------------------------------


@PROPERTY
@given(hypothesmith.from_grammar())
def test_grammar_programs_lint_without_crash(source):
    assert_lints_without_crash(source)
    # The trigger word prefilter skips LibCST when "async" is absent; a
    # prefix makes the generated code reach the rules too.
    assert_lints_without_crash("async def prefix():\n    pass\n" + source)


@PROPERTY
@given(hypothesmith.from_node())
def test_node_programs_lint_and_fix_without_crash(source):
    assert_lints_without_crash(source)
    assert_fix_is_sound(source)


@PROPERTY
@given(mutated_seeds())
def test_mutated_fixtures_lint_without_crash(source):
    assert_lints_without_crash(source)


@PROPERTY
@given(st.one_of(hypothesmith.from_grammar(), mutated_seeds()))
def test_cli_exit_code_follows_compilability(source):
    with tempfile.TemporaryDirectory() as folder:
        code, findings = cli_exit_code(folder, source)
    codes = [finding["code"] for finding in findings]

    if ast_parses(source):
        assert code in (0, 1), (code, codes)
        assert code == (1 if findings else 0)
    else:
        assert code == 1
        assert "AIO001" in codes


# -- fixes never break code ----------------------------------------------------


@PROPERTY
@given(mutated_seeds())
def test_fixed_mutants_compile_and_are_stable(source):
    assert_fix_is_sound(source)


@PROPERTY
@given(mutated_seeds())
def test_renaming_and_aliasing_keep_the_findings(source):
    """Names a module chooses itself do not change what is found."""
    module = _parse(source)
    if module is None or not compiles(source):
        return
    before = sorted(d.code for d in lint_text(source, "generated.py", ALL_RULES))

    renamed = rename_identifiers(module, random.Random(0)).code
    aliased = alias_imports(module, random.Random(0)).code

    assert sorted(d.code for d in lint_text(renamed, "generated.py", ALL_RULES)) == before, renamed
    assert sorted(d.code for d in lint_text(aliased, "generated.py", ALL_RULES)) == before, aliased


# -- files with nothing to fix are written back byte for byte -----------------

ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


def _as_file(source: str, encoding: str, newline: str, final_newline: bool) -> bytes:
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if not final_newline:
        text = text.rstrip("\n")
    text = text.replace("\n", newline)
    if encoding in {"latin-1", "cp1252"}:
        text = f"# -*- coding: {encoding} -*-{newline}# caf\u00e9{newline}{text}"
    elif encoding == "utf-16":
        # CPython cannot read UTF-16 source at all; the file must survive untouched.
        return text.encode("utf-16")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@PROPERTY
@given(st.one_of(mutated_seeds(), hypothesmith.from_node()), ENCODINGS, NEWLINES, st.booleans())
def test_files_without_fixes_are_written_back_unchanged(source, encoding, newline, final_newline):
    data = _as_file(source, encoding, newline, final_newline)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "generated.py")
        Path(path).write_bytes(data)

        report = process_file(path, ALL_RULES, LintOptions(), FileMode(fix=True, unsafe=True))
        after = Path(path).read_bytes()

    if report.fixed == 0:
        assert after == data, "a file without applied fixes changed"
    else:
        # The fixed file keeps the encoding, BOM, line endings and final newline.
        assert after.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
        assert (b"\r\n" in after) == (b"\r\n" in data)
        assert after.endswith((b"\n", b"\r")) == data.endswith((b"\n", b"\r"))
        if encoding in {"latin-1", "cp1252"}:
            assert "caf\u00e9".encode(encoding) in after


# -- safe fixes keep behaviour -------------------------------------------------

_SLEEP_IMPORTS = [
    ("import time\n", "time.sleep"),
    ("import time as clock\n", "clock.sleep"),
    ("from time import sleep\n", "sleep"),
    ("from time import sleep as nap\n", "nap"),
]
_ASYNCIO_IMPORTS = ["", "import asyncio\n", "import asyncio as aio\n"]


@st.composite
def _statements(draw, depth: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    kinds = ["log", "sleep", "assign", "value"] + (["if", "for", "with", "try", "while"] if depth < 2 else [])
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        n = draw(st.integers(0, 3))
        if kind == "log":
            lines.append(f"log.append(('step', {n}, total))")
        elif kind == "sleep":
            lines.append(f"SLEEP(0)  # pause {n}")
        elif kind == "assign":
            lines.append("result = SLEEP(0)")
            lines.append("log.append(('result', result))")
        elif kind == "value":
            lines.append(f"total += {n}")
        else:
            body = draw(_statements(depth + 1))
            header = {
                "if": f"if total % 2 == {n % 2}:",
                "for": f"for i in range({n}):",
                "with": "with contextlib.suppress(KeyError):",
                "try": "try:",
                "while": f"while total < {n + 3}:\n    total += 1",
            }[kind]
            lines.extend(header.split("\n"))
            lines.extend("    " + line for line in body)
            if kind == "try":
                lines.append("finally:")
                lines.append("    log.append('finally')")
    return lines


@st.composite
def sleeping_programs(draw) -> str:  # type: ignore[no-untyped-def]
    time_import, sleep_name = draw(st.sampled_from(_SLEEP_IMPORTS))
    asyncio_import = draw(st.sampled_from(_ASYNCIO_IMPORTS))
    body = draw(_statements())
    body_text = "".join(f"    {line}\n" for line in body).replace("SLEEP", sleep_name)
    return (
        f"import contextlib\n{asyncio_import}{time_import}\n"
        "async def work(log):\n"
        "    total = 0\n"
        "    result = None\n"
        f"{body_text}"
        "    return total, result\n"
    )


def _run(source: str) -> tuple[object, list[object]]:
    namespace: dict[str, object] = {}
    exec(compile(source, "generated.py", "exec"), namespace)  # noqa: S102 - the test's own generated code
    log: list[object] = []
    result = asyncio.run(namespace["work"](log))  # type: ignore[operator]
    return result, log


@PROPERTY
@given(sleeping_programs())
@example(
    "import time\nimport contextlib\nasync def work(log):\n    total = 0\n    result = time.sleep(0)\n"
    "    log.append(result)\n    return total, result\n"
)
def test_safe_fixes_keep_results_and_side_effects(source):
    result = fix_text(source, "generated.py", ALL_RULES, unsafe=False)
    fixed = result.text

    assert result.rejected is None
    assert not [d for d in result.diagnostics if d.code == "AIO201" and d.fix is not None], fixed
    assert _run(fixed) == _run(source), fixed
    if any(d.code == "AIO201" for d in lint_text(source, "generated.py", ALL_RULES)):
        assert result.applied > 0, "no safe fix was applied to a program with time.sleep()"


# -- regressions found by the fuzz run ----------------------------------------


def test_python_syntax_error_with_findings():
    # Found by the fuzz run: a PEP 701 f-string (Python 3.12) on Python 3.11
    # gave findings and no AIO001, so the syntax error went unreported.
    source = 'import time\nasync def f(d):\n    x = f"{ print("slept", time.sleep(d))}"\n'
    codes = [d.code for d in lint_text(source, "generated.py", ALL_RULES)]

    if compiles(source):
        pytest.skip("this Python reads PEP 701 f-strings")
    assert "AIO001" in codes
    assert "AIO201" in codes


def test_python_syntax_error_without_triggers():
    source = 'x = f"{ print("slept")}"\n'
    if compiles(source):
        pytest.skip("this Python reads PEP 701 f-strings")

    assert [d.code for d in lint_text(source, "generated.py", ALL_RULES)] == ["AIO001"]


def test_renaming_leaves_builtins_alone():
    # Found by the fuzz run (a bug of the mutation): a parameter named `open`
    # made the mutation rename the builtin `open` everywhere in the module.
    source = "async def f(open, path):\n    return open(path)\n\nasync def g(p):\n    return open(p)\n"
    renamed = rename_identifiers(cst.parse_module(source), random.Random(0)).code

    assert "open_renamed" not in renamed
    assert "return open(path_renamed)" in renamed


def test_renaming_leaves_import_paths_alone():
    # Found by the fuzz run (a bug of the mutation, not of asynclint): the
    # local name `futures` renamed `concurrent.futures` in an import.
    source = "from concurrent.futures import ThreadPoolExecutor\nasync def f(futures):\n    return futures\n"
    renamed = rename_identifiers(cst.parse_module(source), random.Random(0)).code

    assert "from concurrent.futures import" in renamed
    assert "futures_renamed" in renamed
