"""Turning ``select``, ``extend-select`` and ``ignore`` into the set of codes in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from .codes import INTERNAL_ERROR, PARSE_ERROR, RULE_CODES
from .noqa import UNUSED_NOQA

if TYPE_CHECKING:
    from .rule import Rule

# Codes the engine itself reports, next to those of the rules.
ENGINE_CODES: dict[str, str] = {
    PARSE_ERROR[0]: PARSE_ERROR[1],
    UNUSED_NOQA[0]: UNUSED_NOQA[1],
    INTERNAL_ERROR[0]: INTERNAL_ERROR[1],
}

# Codes in force only when selected by name (or by ALL): an unused noqa
# comment is harmless, and flake8 users may keep noqa comments for flake8.
OFF_BY_DEFAULT: frozenset[str] = frozenset({UNUSED_NOQA[0]})


class SelectionError(ValueError):
    """A code or prefix that matches no known code."""


def all_codes() -> list[str]:
    return sorted([*ENGINE_CODES, *RULE_CODES])


def code_names() -> dict[str, str]:
    """Return every known code with its kebab-case name."""
    names = dict(ENGINE_CODES)
    names.update(RULE_CODES)
    return dict(sorted(names.items()))


def expand(entries: Iterable[str], option: str) -> set[str]:
    """Return the codes that ``entries`` (codes, prefixes or ALL) stand for."""
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
class Layer:
    """One source of selection options: the configuration file or the command line."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # How errors name the options of this layer: "--select" or "select in pyproject.toml".
    label: str = "--{}"


@dataclass(frozen=True)
class Selection:
    """The codes in force: everything selected and not ignored."""

    codes: frozenset[str]

    @classmethod
    def from_layers(cls, layers: Sequence[Layer]) -> Selection:
        """Apply the layers in order; a later ``select`` replaces everything before it."""
        chosen = set(all_codes()) - OFF_BY_DEFAULT
        for layer in layers:
            if layer.select is not None:
                chosen = expand(layer.select, layer.label.format("select"))
            chosen |= expand(layer.extend_select, layer.label.format("extend-select"))
            chosen -= expand(layer.ignore, layer.label.format("ignore"))
        # The internal-error code cannot be switched off: a crash in a rule
        # must never look like a clean file.
        return cls(frozenset(chosen | {INTERNAL_ERROR[0]}))

    @classmethod
    def from_options(cls, select: Iterable[str] | None, ignore: Iterable[str] | None) -> Selection:
        layer = Layer(select=tuple(select) if select else None, ignore=tuple(ignore or ()))
        return cls.from_layers([layer])

    @property
    def rules(self) -> list[type[Rule]]:
        from .rules import ALL_RULES  # imports LibCST, which runs answered from the cache skip

        return [rule for rule in ALL_RULES if rule.code in self.codes]


def split_codes(value: str) -> list[str]:
    """Split ``AIO1,AIO201`` (commas and spaces both separate)."""
    return [part for part in value.replace(",", " ").split() if part]
