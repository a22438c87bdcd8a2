"""walk() visits the same nodes, in the same order, as LibCST's own visit."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from asynclint.walk import walk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
ASYNCIO = Path(sysconfig.get_paths()["stdlib"]) / "asyncio"

SAMPLES = {
    "f-strings": 'x = f"{a!r:>{width}}" f"{b=}" f"{c:{d}.{e}}"\n',
    "imports": "from . import (a, b as c)\nfrom x import *\nimport y.z as w\n",
    "decorated": "@d(1)\nasync def f(a: int = 2, *b, c, **d) -> int:\n    return [x async for x in g() if x]\n",
    "class": "class C(B, metaclass=M):\n    x: int = 1\n    def m(self):\n        lambda q=1: q\n",
    "match": "match p:\n    case [1, *rest] if rest:\n        pass\n    case {'k': v, **kw}:\n        pass\n",
}


class Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node), ""))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body":
            self.events.append(("enter", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body":
            self.events.append(("exit", id(original_node), attribute))


class SkipFunctions(Recorder):
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def sources():
    for name, text in SAMPLES.items():
        yield pytest.param(text, id=name)
    for path in sorted(FIXTURES.glob("*/*.py")) + sorted(ASYNCIO.glob("*.py"))[:8]:
        yield pytest.param(path.read_text(encoding="utf-8"), id=f"{path.parent.name}/{path.name}")


@pytest.mark.parametrize("text", list(sources()))
def test_walk_matches_libcst_visit(text):
    module = cst.parse_module(text)
    expected, actual = Recorder(), Recorder()

    module.visit(expected)
    walk(module, actual, frozenset({"body"}))

    assert actual.events == expected.events


def test_walk_respects_false_from_on_visit():
    module = cst.parse_module(SAMPLES["decorated"] + SAMPLES["class"])
    expected, actual = SkipFunctions(), SkipFunctions()

    module.visit(expected)
    walk(module, actual, frozenset({"body"}))

    assert actual.events == expected.events


def test_walk_without_attributes_skips_attribute_calls():
    module = cst.parse_module(SAMPLES["class"])
    recorder = Recorder()

    walk(module, recorder)

    assert not [event for event in recorder.events if event[0] in ("enter", "exit")]


class NamesOutsideFunctions(cst.CSTVisitor):
    """A plain visitor: walk() dispatches its visit_ and leave_ methods itself."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.events.append(("def", node.name.value))
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(("name", node.value))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.events.append(("call", type(original_node.func).__name__))


@pytest.mark.parametrize("text", list(sources())[:12])
def test_walk_dispatches_plain_visitor_methods(text):
    module = cst.parse_module(text)
    expected, actual = NamesOutsideFunctions(), NamesOutsideFunctions()

    module.visit(expected)
    walk(module, actual)

    assert actual.events == expected.events
