"""The registry of rules, in code order."""

from __future__ import annotations

from ..rule import Rule
from .blocking import (
    BlockingDatabaseCall,
    BlockingDataLibraryCall,
    BlockingFileIO,
    BlockingHttpCall,
    BlockingSleep,
    BlockingSubprocess,
)
from .event_loops import EventLoopInWorkerThread, NestedEventLoop
from .threads import CoroutineFunctionInThread

ALL_RULES: tuple[type[Rule], ...] = (
    NestedEventLoop,
    EventLoopInWorkerThread,
    BlockingSleep,
    BlockingHttpCall,
    BlockingFileIO,
    BlockingSubprocess,
    BlockingDatabaseCall,
    BlockingDataLibraryCall,
    CoroutineFunctionInThread,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
