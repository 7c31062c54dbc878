"""The organisation's side: tracking categories, their options, and the target's limits."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable

import attrs

from trackmap._engine._names import normalise
from trackmap._engine._quote import quoted

__all__ = [
    "Capabilities",
    "NameCollision",
    "TrackingCategory",
    "TrackingOption",
    "TrackingSchema",
    "TrackingStatus",
]


class TrackingStatus(enum.Enum):
    """The status Xero gives a category or an option."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


@attrs.frozen(kw_only=True)
class Capabilities:
    """The target's limits: settings, never literals in code (XERO.md has the sources).

    Attributes:
        active_categories: How many categories may be active at once (Xero: 2).
        entries_per_line: Tracking entries one document line may carry (Xero: 2).
        option_name_length: Longest option name trackmap will create (Xero's docs: 50).
        options_per_category: Active options one category may hold (unconfirmed; 100).
        batch_size: Documents per request (Xero recommends bundles of up to 50).
        batch_bytes: Largest request body in bytes (Xero: 3.5 MB).
        split_lines: Most lines one host line may become through splits (trackmap's own
            limit, so that a split cannot blow a document up; splits on two bindings
            multiply).
    """

    active_categories: int = 2
    entries_per_line: int = 2
    option_name_length: int = 50
    options_per_category: int = 100
    batch_size: int = 50
    batch_bytes: int = 3_500_000
    split_lines: int = 10


@attrs.frozen(kw_only=True)
class TrackingOption:
    """One option of a tracking category, as the organisation has it."""

    id: str
    name: str
    status: TrackingStatus = TrackingStatus.ACTIVE

    @property
    def is_active(self) -> bool:
        """Whether the option may go on new documents."""
        return self.status is TrackingStatus.ACTIVE


@attrs.frozen(kw_only=True)
class NameCollision:
    """Two or more options of one category whose names are equal after normalisation."""

    category_id: str
    category_name: str
    options: tuple[TrackingOption, ...]

    def message(self) -> str:
        """Say what collides, in words a host can show its end user."""
        names = ", ".join(f"{quoted(o.name)}" for o in self.options)
        return (
            f"Tracking category {quoted(self.category_name)} has options whose names differ only "
            f"in case or spacing: {names}; trackmap will not guess which one is meant."
        )


def _options(items: Iterable[TrackingOption]) -> tuple[TrackingOption, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class TrackingCategory:
    """A tracking category with its options (archived and deleted ones included when known)."""

    id: str
    name: str
    status: TrackingStatus = TrackingStatus.ACTIVE
    options: tuple[TrackingOption, ...] = attrs.field(default=(), converter=_options)

    # Indexes built when first needed, so that building a schema of many options costs nothing
    # and a compile pays only for what its bindings use.
    @functools.cached_property
    def _by_id(self) -> dict[str, TrackingOption]:
        return {option.id: option for option in self.options}

    @functools.cached_property
    def _by_name(self) -> dict[str, tuple[TrackingOption, ...]]:
        by_name: dict[str, list[TrackingOption]] = {}
        for option in self.options:
            by_name.setdefault(normalise(option.name), []).append(option)
        return {key: tuple(group) for key, group in by_name.items()}

    @property
    def is_active(self) -> bool:
        """Whether the category may be used on new documents."""
        return self.status is TrackingStatus.ACTIVE

    @property
    def active_options(self) -> tuple[TrackingOption, ...]:
        """The options that may go on new documents, in the organisation's order."""
        return tuple(o for o in self.options if o.is_active)

    def option(self, option_id: str) -> TrackingOption | None:
        """Return the option with this id, whatever its status, or None."""
        return self._by_id.get(option_id)

    def options_named(self, name: str) -> tuple[TrackingOption, ...]:
        """Return every option whose name equals ``name`` after normalisation."""
        return self._by_name.get(normalise(name), ())

    def collisions(self) -> tuple[NameCollision, ...]:
        """Return the groups of options whose normalised names collide."""
        return tuple(
            NameCollision(category_id=self.id, category_name=self.name, options=group)
            for group in self._by_name.values()
            if len(group) > 1
        )


def _categories(items: Iterable[TrackingCategory]) -> tuple[TrackingCategory, ...]:
    # A typed converter: with a bare `tuple`, mypy cannot type the __init__ argument.
    return tuple(items)


@attrs.frozen(kw_only=True)
class TrackingSchema:
    """The tracking categories of one organisation, plus the target's capabilities."""

    categories: tuple[TrackingCategory, ...] = attrs.field(default=(), converter=_categories)
    capabilities: Capabilities = attrs.field(factory=Capabilities)

    @property
    def active_categories(self) -> tuple[TrackingCategory, ...]:
        """The categories that may go on new documents."""
        return tuple(c for c in self.categories if c.is_active)

    @property
    def tracking_enabled(self) -> bool:
        """Whether the organisation has tracking switched on (at least one active category)."""
        return any(c.is_active for c in self.categories)

    def category(self, category_id: str) -> TrackingCategory | None:
        """Return the category with this id, whatever its status, or None."""
        for category in self.categories:
            if category.id == category_id:
                return category
        return None

    def categories_named(self, name: str) -> tuple[TrackingCategory, ...]:
        """Return every category whose name equals ``name`` after normalisation."""
        key = normalise(name)
        return tuple(c for c in self.categories if normalise(c.name) == key)
