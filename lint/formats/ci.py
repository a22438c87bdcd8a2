"""The formats for machines: JSON, SARIF 2.1.0 and GitHub workflow commands."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO
from urllib.parse import quote

from .. import __version__
from ..diagnostic import Diagnostic, Fix
from ..selection import ENGINE_CODES
from .base import Output, Summary, rule_page

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_ENGINE_SUMMARIES = {
    "AIO001": "The file cannot be read, decoded or parsed, so no rule could check it.",
    "AIO002": "A noqa comment suppresses no finding.",
    "AIO003": "A rule crashed on the file; the file was not fully checked.",
}


def write_json(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")


def write_github(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    """Print one ``::error`` workflow command per finding.

    GitHub Actions turns these lines into annotations on the changed files.
    Values are escaped as the Actions toolkit escapes them, so a message
    with a colon, comma or newline cannot end the command early.
    """
    for d in diagnostics:
        properties = {
            "file": d.path,
            "line": d.start.line,
            "col": d.start.column + 1,
            "endLine": d.end.line,
            "endColumn": d.end.column + 1,
            "title": f"{d.code} {d.name}",
        }
        fields = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        stream.write(f"::error {fields}::{_escape_data(f'{d.code} {d.message}')}\n")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def write_sarif(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    json.dump(sarif_log(diagnostics), stream, indent=2)
    stream.write("\n")


def sarif_log(diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """Build a SARIF 2.1.0 log with one run, describing every known rule."""
    rules = rule_descriptors()
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    driver = {
        "name": "asynclint",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": rules,
    }
    home = _project_url()
    if home:
        driver["informationUri"] = home

    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                # Our columns count code points, not the UTF-16 units SARIF assumes by default.
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index) for d in diagnostics],
            }
        ],
    }


def rule_descriptors() -> list[dict[str, Any]]:
    """Return the SARIF reportingDescriptor of every engine code and rule, in code order."""
    # The rules import LibCST; only this format needs their summaries.
    from ..rules import ALL_RULES

    entries: dict[str, tuple[str, str, str | None]] = {
        code: (name, _ENGINE_SUMMARIES.get(code, name), None) for code, name in ENGINE_CODES.items()
    }
    for rule in ALL_RULES:
        safety = rule.fix_safety.value if rule.fix_safety is not None else None
        entries[rule.code] = (rule.name, rule.summary, safety)

    descriptors = []
    for code, (name, summary, safety) in sorted(entries.items()):
        descriptor: dict[str, Any] = {
            "id": code,
            "name": name,
            "shortDescription": {"text": summary},
            "defaultConfiguration": {"level": "error"},
            "properties": {"fix": safety or "none"},
        }
        page = rule_page(code)
        url = _help_url(code)
        if url:
            descriptor["helpUri"] = url
        if page is not None:
            text = page.read_text(encoding="utf-8")
            descriptor["help"] = {"text": text, "markdown": text}
        descriptors.append(descriptor)
    return descriptors


def _help_url(code: str) -> str | None:
    """Return the address of a rule's page in docs/rules/.

    With a GitHub project URL in the package metadata the address points
    there; otherwise it is the file in this source tree, when it exists.
    """
    home = _project_url()
    if home and home.startswith("https://github.com/"):
        return f"{home.rstrip('/')}/blob/main/docs/rules/{code}.md"
    page = rule_page(code)
    return page.as_uri() if page is not None else None


def _project_url() -> str | None:
    # importlib.metadata takes longer to import than a warm run of the whole
    # command, and only the SARIF format needs it.
    from importlib import metadata

    try:
        urls = metadata.metadata("asynclint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    by_label = dict(entry.split(", ", 1) for entry in urls if ", " in entry)
    for label in ("Repository", "Source", "Homepage"):
        if label in by_label:
            return by_label[label]
    return None


def _result(d: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    location = {"physicalLocation": {"artifactLocation": _artifact(d.path), "region": _region(d.start, d.end)}}
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": "error",
        "message": {"text": d.message},
        "locations": [location],
    }
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    if d.fix is not None:
        result["fixes"] = [_fix(d.path, d.fix)]
    return result


def _artifact(path: str) -> dict[str, str]:
    # A file name that is not valid UTF-8 reaches Python with surrogate
    # escapes; percent-encoding its original bytes keeps the URI exact.
    raw = os.fsencode(path.replace(os.sep, "/"))
    if os.path.isabs(path):
        return {"uri": "file://" + quote(raw)}
    return {"uri": quote(raw), "uriBaseId": "%SRCROOT%"}


def _region(start: Any, end: Any) -> dict[str, int]:
    # SARIF columns are 1-based and endColumn is the column after the region.
    return {
        "startLine": start.line,
        "startColumn": start.column + 1,
        "endLine": max(end.line, start.line),
        "endColumn": end.column + 1 if (end.line, end.column) > (start.line, start.column) else start.column + 1,
    }


def _fix(path: str, fix: Fix) -> dict[str, Any]:
    replacements = [
        {"deletedRegion": _region(edit.start, edit.end), "insertedContent": {"text": edit.content}} for edit in fix.edits
    ]
    return {
        "description": {"text": f"{fix.title} ({fix.safety.value} fix)"},
        "artifactChanges": [{"artifactLocation": _artifact(path), "replacements": replacements}],
    }
