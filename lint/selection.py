"""Turning ``--select`` and ``--ignore`` into the set of codes in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .engine import INTERNAL_ERROR, PARSE_ERROR
from .rule import Rule
from .rules import ALL_RULES

# Codes the engine itself reports, next to those of the rules.
ENGINE_CODES: dict[str, str] = {PARSE_ERROR[0]: PARSE_ERROR[1], INTERNAL_ERROR[0]: INTERNAL_ERROR[1]}


class SelectionError(ValueError):
    """A code or prefix that matches no known code."""


def all_codes() -> list[str]:
    return sorted([*ENGINE_CODES, *(rule.code for rule in ALL_RULES)])


def _expand(entries: Iterable[str], option: str) -> set[str]:
    codes = all_codes()
    chosen: set[str] = set()
    for entry in entries:
        prefix = entry.strip().upper()
        if not prefix:
            continue
        if prefix == "ALL":
            chosen.update(codes)
            continue
        matched = [code for code in codes if code.startswith(prefix)]
        if not matched:
            raise SelectionError(
                f"{option}: {entry!r} matches no rule code; use a code or prefix such as AIO1 or AIO201 "
                f"(known codes: {', '.join(codes)})"
            )
        chosen.update(matched)
    return chosen


@dataclass(frozen=True)
class Selection:
    """The codes in force: everything selected and not ignored."""

    codes: frozenset[str]

    @classmethod
    def from_options(cls, select: Iterable[str] | None, ignore: Iterable[str] | None) -> Selection:
        selected = _expand(select, "--select") if select else set(all_codes())
        ignored = _expand(ignore or (), "--ignore")
        # The internal-error code cannot be switched off: a crash in a rule
        # must never look like a clean file.
        return cls(frozenset((selected - ignored) | {INTERNAL_ERROR[0]}))

    @property
    def rules(self) -> list[type[Rule]]:
        return [rule for rule in ALL_RULES if rule.code in self.codes]


def split_codes(value: str) -> list[str]:
    """Split ``AIO1,AIO201`` (commas and spaces both separate)."""
    return [part for part in value.replace(",", " ").split() if part]
