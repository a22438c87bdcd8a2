"""The base class of every rule, and the examples that each rule carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar

import libcst as cst

from .diagnostic import Fix, FixSafety

if TYPE_CHECKING:
    from .context import LintContext
    from .engine import LintOptions
    from .fixes import FixBuilder

# A rule hands the engine a function that builds the fix later, because
# positions (which edits need) are computed only for files with findings.
FixFactory = Callable[["FixBuilder"], "Fix | None"]


@dataclass(frozen=True)
class Invalid:
    """Code that must produce exactly one finding of the rule.

    ``line`` and ``column`` are 1-based, as printed. ``fixed`` is the whole
    source after applying the rule's fixes (unsafe ones included), or None
    when the rule offers no fix for this code.
    """

    source: str
    line: int
    column: int
    fixed: str | None = None


@dataclass(frozen=True)
class Report:
    """A finding as a rule reports it, before positions are known."""

    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: FixFactory | None


class Rule:
    """One problem, one code. Subclasses define ``visit_<Node>`` methods.

    The engine calls those methods during the single shared traversal of each
    file; ``self.context`` tells where the traversal is and what names mean.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    # The safety of the fixes the rule can offer, None when it offers none.
    # Each finding may still come without a fix when one cannot be built.
    fix_safety: ClassVar[FixSafety | None] = None
    # The rule cannot fire on a file that contains none of these words.
    triggers: ClassVar[tuple[str, ...]] = ("async",)
    # The rule reads summaries of other modules, so it can also fire on a file
    # that imports one of them (see ProjectSummary.import_words).
    cross_module: ClassVar[bool] = False
    valid: ClassVar[tuple[str, ...]] = ()
    invalid: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, context: LintContext, options: LintOptions, reports: list[Report]) -> None:
        self.context = context
        self.options = options
        self._reports = reports

    def report(self, node: cst.CSTNode, message: str, fix: FixFactory | None = None) -> None:
        self._reports.append(Report(type(self), node, f"{message}", fix))
