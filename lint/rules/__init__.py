"""The registry of rules, in code order."""

from __future__ import annotations

from ..codes import registry_mismatch
from ..rule import Rule
from .blocking import (
    BlockingDatabaseCall,
    BlockingDataLibraryCall,
    BlockingFileIO,
    BlockingHttpCall,
    BlockingSleep,
    BlockingSubprocess,
)
from .awaits import BlockingWaitOnLoop, UnawaitedCoroutine
from .event_loops import EventLoopInWorkerThread, NestedEventLoop
from .helpers import BlockingHelperCall, EventLoopStartingHelper
from .tasks import AsCompletedOrder, DanglingTask, GetEventLoopInCoroutine
from .threads import CoroutineFunctionInThread, CoroutinePassedAsCallable

ALL_RULES: tuple[type[Rule], ...] = (
    NestedEventLoop,
    EventLoopInWorkerThread,
    EventLoopStartingHelper,
    BlockingSleep,
    BlockingHttpCall,
    BlockingFileIO,
    BlockingSubprocess,
    BlockingDatabaseCall,
    BlockingDataLibraryCall,
    BlockingHelperCall,
    CoroutineFunctionInThread,
    CoroutinePassedAsCallable,
    AsCompletedOrder,
    GetEventLoopInCoroutine,
    DanglingTask,
    UnawaitedCoroutine,
    BlockingWaitOnLoop,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

# The command line expands codes from the table in asynclint.codes, which
# imports without LibCST; a rule missing there could never be selected.
_mismatch = registry_mismatch({rule.code: rule.name for rule in ALL_RULES})
if _mismatch:
    raise ImportError(_mismatch)
