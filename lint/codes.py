"""Every code asynclint can report, as a table that imports without LibCST.

The command line needs the codes to expand ``--select`` and ``--ignore`` and to
build the result-cache key before it can tell whether any file must be linted. A
warm run, where every result comes from the cache, must not pay for importing
LibCST and the rules, so the codes are listed here as well as on the rule
classes, and importing the rules checks that the two agree.
"""

from __future__ import annotations

# Codes the engine itself reports, besides unused-noqa (noqa.py).
PARSE_ERROR = ("AIO001", "syntax-error")
INTERNAL_ERROR = ("AIO003", "internal-error")

# Code -> name of every rule in asynclint.rules.ALL_RULES; importing
# asynclint.rules raises ImportError when the two differ.
RULE_CODES: dict[str, str] = {
    "AIO101": "nested-event-loop",
    "AIO102": "event-loop-in-worker-thread",
    "AIO103": "event-loop-starting-helper",
    "AIO201": "blocking-sleep",
    "AIO202": "blocking-http-call",
    "AIO203": "blocking-file-io",
    "AIO204": "blocking-subprocess",
    "AIO205": "blocking-database-call",
    "AIO206": "blocking-data-library-call",
    "AIO210": "blocking-helper-call",
    "AIO301": "coroutine-function-in-thread",
    "AIO302": "coroutine-passed-as-callable",
    "AIO401": "as-completed-order",
    "AIO402": "get-event-loop-in-coroutine",
    "AIO403": "dangling-task",
    "AIO404": "unawaited-coroutine",
    "AIO405": "blocking-wait-on-loop",
}


def registry_mismatch(rules: dict[str, str]) -> str | None:
    """Return how ``rules`` (code -> name of the registered rules) differ from RULE_CODES, or None."""
    problems = []
    for code, name in sorted(rules.items()):
        if RULE_CODES.get(code) != name:
            problems.append(f"add {code!r}: {name!r} to RULE_CODES")
    for code in sorted(RULE_CODES.keys() - rules.keys()):
        problems.append(f"remove {code!r} from RULE_CODES, or register its rule")
    if not problems:
        return None
    return "asynclint.codes.RULE_CODES does not match asynclint.rules.ALL_RULES: " + "; ".join(problems)
