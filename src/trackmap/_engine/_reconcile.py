"""Reconciliation: what became of the categories and options a mapping refers to.

People rename, archive and delete tracking options in Xero while an app's mapping still points
at them; Xero then drops archived tracking from new documents without a word (XERO.md). So before
sending, compare the schema the mapping was saved against with the one Xero has now, and say what
needs a person instead of failing at send time.

The rules:

Rule 1. Bindings hold ids, so a renamed category or option keeps working: a rename never needs a
        person (except for by-name bindings, see rule 5).
Rule 2. Something the mapping refers to that is absent from the new schema is DELETED (Xero does
        not return deleted categories and options); ARCHIVED and DELETED are distinct, because
        only an archived one can be restored.
Rule 3. A status that did not change is UNCHANGED (or RENAMED), even when that status is archived:
        reconciling a schema with itself reports no change. A reference that is unusable in the
        new schema still needs a person, whatever its change.
Rule 4. Something referred to that the old schema did not have is NEW; something that was archived
        or deleted and is active again is RESTORED.
Rule 5. A by-name binding reaches options through the host's values, not ids: every option of its
        category that changed is listed, and a rename, archive or delete there asks the host to
        REVIEW the values that name it (it sends nothing wrong: those values simply stop matching).
Rule 6. Every option a split row sends a share to is a reference of its own (``SHARE``), judged
        like a table row's option: archived or deleted, the split needs a person.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

import attrs

from trackmap._engine._guard import guarded
from trackmap._engine._mapping import Binding, ByName, ByTable, TrackingMapping
from trackmap._engine._quote import exception_text, quoted
from trackmap._engine._results import Violation
from trackmap._engine._schema import (
    TrackingCategory,
    TrackingOption,
    TrackingSchema,
    TrackingStatus,
)
from trackmap.errors import MappingError

__all__ = [
    "Drift",
    "DriftChange",
    "DriftFix",
    "DriftOutcome",
    "DriftUsage",
    "PlanItem",
    "ReconcilePlan",
    "reconcile",
]


class DriftChange(enum.Enum):
    """What became of one category or option between the old and the new schema."""

    UNCHANGED = "unchanged"
    RENAMED = "renamed"
    ARCHIVED = "archived"
    DELETED = "deleted"
    RESTORED = "restored"
    NEW = "new"


class DriftUsage(enum.Enum):
    """How a binding refers to the category or option."""

    CATEGORY = "category"  # the binding's own category
    TABLE_ROW = "table_row"  # the option a table row points at
    SHARE = "share"  # an option a table row's split sends a share to
    DEFAULT = "default"  # the binding's default option
    NAMED_OPTION = "named_option"  # an option a by-name binding reaches through host values


class DriftOutcome(enum.Enum):
    """What the drift means for the mapping."""

    KEEPS_WORKING = "keeps_working"
    REVIEW = "review"  # still sends nothing wrong, but host values may no longer match
    NEEDS_PERSON = "needs_person"  # a send would fail or lose tracking until someone acts


class DriftFix(enum.Enum):
    """A change a person can make to repair a reference."""

    PICK_ANOTHER_OPTION = "pick_another_option"
    RESTORE_IN_XERO = "restore_in_xero"
    REMOVE_ROW = "remove_row"
    CLEAR_DEFAULT = "clear_default"
    BIND_ANOTHER_CATEGORY = "bind_another_category"
    REMOVE_BINDING = "remove_binding"
    UPDATE_HOST_VALUES = "update_host_values"

    def describe(self) -> str:
        """The fix as words that fit in a sentence."""
        return _FIX_WORDS[self]


_FIX_WORDS = {
    DriftFix.PICK_ANOTHER_OPTION: "pick another option",
    DriftFix.RESTORE_IN_XERO: "restore it in Xero",
    DriftFix.REMOVE_ROW: "remove the row",
    DriftFix.CLEAR_DEFAULT: "clear the default",
    DriftFix.BIND_ANOTHER_CATEGORY: "bind another category",
    DriftFix.REMOVE_BINDING: "remove the binding",
    DriftFix.UPDATE_HOST_VALUES: "update those host values",
}


@attrs.frozen(kw_only=True)
class Drift:
    """One category (``option_id`` None) or option as the old and the new schema have it.

    A name or status is None where that schema does not have it.
    """

    change: DriftChange
    category_id: str
    option_id: str | None = None
    old_name: str | None = None
    new_name: str | None = None
    old_status: TrackingStatus | None = None
    new_status: TrackingStatus | None = None

    @property
    def renamed(self) -> bool:
        """Whether both schemas have it under different names."""
        return None not in (self.old_name, self.new_name) and self.old_name != self.new_name

    @property
    def usable(self) -> bool:
        """Whether it may go on new documents according to the new schema."""
        return self.new_status is TrackingStatus.ACTIVE

    @property
    def known_name(self) -> str:
        """The name a person knew it by: the old one, else the new one, else its id."""
        return self.old_name or self.new_name or self.option_id or self.category_id


@attrs.frozen(kw_only=True)
class PlanItem:
    """One reference of the mapping and what the drift means for it.

    Attributes:
        binding: The binding's index in the mapping (0-based; messages count from 1).
        usage: How the binding refers to it.
        drift: What became of it.
        outcome: Whether it keeps working, needs a review, or needs a person.
        fixes: Suggested fixes, most likely first (empty when it keeps working).
        message: A sentence a host can show its end user unchanged.
        value: The host value of the table row, for ``DriftUsage.TABLE_ROW``.
    """

    binding: int
    usage: DriftUsage
    drift: Drift
    outcome: DriftOutcome
    fixes: tuple[DriftFix, ...]
    message: str
    value: str | None = None


@attrs.frozen(kw_only=True)
class ReconcilePlan:
    """Every reference of a mapping, classified; the properties pick out what matters."""

    items: tuple[PlanItem, ...] = ()

    @property
    def changes(self) -> tuple[PlanItem, ...]:
        """The references whose category or option changed between the two schemas."""
        return tuple(i for i in self.items if i.drift.change is not DriftChange.UNCHANGED)

    @property
    def keeps_working(self) -> tuple[PlanItem, ...]:
        """The changed references that need nothing from anyone (renames, restores...)."""
        return tuple(i for i in self.changes if i.outcome is DriftOutcome.KEEPS_WORKING)

    @property
    def review(self) -> tuple[PlanItem, ...]:
        """The references whose host values may need updating (by-name bindings)."""
        return tuple(i for i in self.items if i.outcome is DriftOutcome.REVIEW)

    @property
    def needs_person(self) -> tuple[PlanItem, ...]:
        """The references that are unusable now, changed or not: each has suggested fixes."""
        return tuple(i for i in self.items if i.outcome is DriftOutcome.NEEDS_PERSON)

    @property
    def ok(self) -> bool:
        """Whether the mapping can be used as it is against the new schema."""
        return not self.needs_person


def reconcile(
    mapping: TrackingMapping, old_schema: TrackingSchema, new_schema: TrackingSchema
) -> ReconcilePlan:
    """Classify every category and option ``mapping`` refers to, from the old schema to the new.

    Args:
        mapping: The host's mapping, as saved.
        old_schema: The schema the mapping was saved (or last reconciled) against.
        new_schema: The schema the organisation has now.

    Returns:
        The plan: one item per reference, in binding order; see the module's rules.
    """
    return guarded(lambda: _reconcile(mapping, old_schema, new_schema), _unreadable)


def _reconcile(
    mapping: TrackingMapping, old_schema: TrackingSchema, new_schema: TrackingSchema
) -> ReconcilePlan:
    items: list[PlanItem] = []
    for index, binding in enumerate(mapping.bindings):
        items.extend(_binding_items(index, binding, old_schema, new_schema))
    return ReconcilePlan(items=tuple(items))


def _unreadable(exc: Exception) -> MappingError:
    text = (
        "trackmap could not reconcile the mapping: a value of the mapping or of a schema "
        f"cannot be read ({exception_text(exc)}); every name and id must be plain text."
    )
    return MappingError([Violation(code="unreadable_value", message=text)])


_Named = TrackingCategory | TrackingOption


def _binding_items(
    index: int, binding: Binding, old: TrackingSchema, new: TrackingSchema
) -> Iterator[PlanItem]:
    old_category = old.category(binding.category_id)
    new_category = new.category(binding.category_id)
    drift = _drift(binding.category_id, None, old_category, new_category)
    yield _item(index, binding, DriftUsage.CATEGORY, drift)
    for usage, option_id, value in _option_references(binding, old_category, new_category):
        option_drift = _drift(
            binding.category_id,
            option_id,
            old_category.option(option_id) if old_category else None,
            new_category.option(option_id) if new_category else None,
        )
        if usage is not DriftUsage.NAMED_OPTION or option_drift.change is not DriftChange.UNCHANGED:
            yield _item(index, binding, usage, option_drift, value)


def _option_references(
    binding: Binding, old: TrackingCategory | None, new: TrackingCategory | None
) -> Iterator[tuple[DriftUsage, str, str | None]]:
    if isinstance(binding.values, ByTable):
        for row in binding.values.rows:
            if row.option_id is not None:
                yield DriftUsage.TABLE_ROW, row.option_id, row.value
            for share in row.split.shares if row.split is not None else ():
                yield DriftUsage.SHARE, share.option_id, row.value
    if binding.default_option_id is not None:
        yield DriftUsage.DEFAULT, binding.default_option_id, None
    if isinstance(binding.values, ByName):
        # Old order first, then what is new; a dict keeps each id once (categories can be big).
        ids = dict.fromkeys(o.id for category in (old, new) if category for o in category.options)
        for option_id in ids:
            yield DriftUsage.NAMED_OPTION, option_id, None


def _drift(
    category_id: str, option_id: str | None, old: _Named | None, new: _Named | None
) -> Drift:
    return Drift(
        change=_change(old, new),
        category_id=category_id,
        option_id=option_id,
        old_name=old.name if old else None,
        new_name=new.name if new else None,
        old_status=old.status if old else None,
        new_status=new.status if new else None,
    )


def _change(old: _Named | None, new: _Named | None) -> DriftChange:
    if old is None and new is None:
        return DriftChange.UNCHANGED  # missing both times: a standing problem, not a drift
    new_status = new.status if new else TrackingStatus.DELETED
    if old is None:
        return DriftChange.NEW if new_status is TrackingStatus.ACTIVE else _lost(new_status)
    if new_status is old.status:
        return DriftChange.RENAMED if new and new.name != old.name else DriftChange.UNCHANGED
    return DriftChange.RESTORED if new_status is TrackingStatus.ACTIVE else _lost(new_status)


def _lost(status: TrackingStatus) -> DriftChange:
    return DriftChange.ARCHIVED if status is TrackingStatus.ARCHIVED else DriftChange.DELETED


def _item(
    index: int, binding: Binding, usage: DriftUsage, drift: Drift, value: str | None = None
) -> PlanItem:
    outcome = _outcome(usage, drift)
    fixes = _fixes(usage, drift) if outcome is not DriftOutcome.KEEPS_WORKING else ()
    return PlanItem(
        binding=index,
        usage=usage,
        drift=drift,
        outcome=outcome,
        fixes=fixes,
        message=_message(index, binding, usage=usage, drift=drift, value=value, fixes=fixes),
        value=value,
    )


def _outcome(usage: DriftUsage, drift: Drift) -> DriftOutcome:
    if usage is DriftUsage.NAMED_OPTION:
        lost = drift.renamed or not drift.usable
        return DriftOutcome.REVIEW if lost else DriftOutcome.KEEPS_WORKING
    return DriftOutcome.KEEPS_WORKING if drift.usable else DriftOutcome.NEEDS_PERSON


_FIXES: dict[tuple[DriftUsage, bool], tuple[DriftFix, ...]] = {
    # (usage, restorable): an archived one can be restored in Xero, a deleted one cannot.
    (DriftUsage.CATEGORY, True): (
        DriftFix.RESTORE_IN_XERO,
        DriftFix.BIND_ANOTHER_CATEGORY,
        DriftFix.REMOVE_BINDING,
    ),
    (DriftUsage.CATEGORY, False): (DriftFix.BIND_ANOTHER_CATEGORY, DriftFix.REMOVE_BINDING),
    (DriftUsage.TABLE_ROW, True): (
        DriftFix.PICK_ANOTHER_OPTION,
        DriftFix.RESTORE_IN_XERO,
        DriftFix.REMOVE_ROW,
    ),
    (DriftUsage.TABLE_ROW, False): (DriftFix.PICK_ANOTHER_OPTION, DriftFix.REMOVE_ROW),
    (DriftUsage.SHARE, True): (
        DriftFix.PICK_ANOTHER_OPTION,
        DriftFix.RESTORE_IN_XERO,
        DriftFix.REMOVE_ROW,
    ),
    (DriftUsage.SHARE, False): (DriftFix.PICK_ANOTHER_OPTION, DriftFix.REMOVE_ROW),
    (DriftUsage.DEFAULT, True): (
        DriftFix.PICK_ANOTHER_OPTION,
        DriftFix.RESTORE_IN_XERO,
        DriftFix.CLEAR_DEFAULT,
    ),
    (DriftUsage.DEFAULT, False): (DriftFix.PICK_ANOTHER_OPTION, DriftFix.CLEAR_DEFAULT),
    (DriftUsage.NAMED_OPTION, True): (DriftFix.RESTORE_IN_XERO, DriftFix.UPDATE_HOST_VALUES),
    (DriftUsage.NAMED_OPTION, False): (DriftFix.UPDATE_HOST_VALUES,),
}


def _fixes(usage: DriftUsage, drift: Drift) -> tuple[DriftFix, ...]:
    return _FIXES[usage, drift.new_status is TrackingStatus.ARCHIVED]


def _message(
    index: int,
    binding: Binding,
    *,
    usage: DriftUsage,
    drift: Drift,
    value: str | None,
    fixes: tuple[DriftFix, ...],
) -> str:
    where = f"Binding {index + 1} ({quoted(binding.title)})"
    return (
        f"{where}: {_subject(usage, drift, value)} {_happened(drift)}{_advice(usage, drift, fixes)}"
    )


def _subject(usage: DriftUsage, drift: Drift, value: str | None) -> str:
    name = f"{quoted(drift.known_name)}"
    subjects = {
        DriftUsage.CATEGORY: f"category {name}",
        DriftUsage.TABLE_ROW: f"option {name} (the table row for {quoted(value)})",
        DriftUsage.SHARE: f"option {name} (a share of the table row for {quoted(value)})",
        DriftUsage.DEFAULT: f"default option {name}",
        DriftUsage.NAMED_OPTION: f"option {name}",
    }
    return subjects[usage]


def _happened(drift: Drift) -> str:
    renamed = f" and renamed to {quoted(drift.new_name)}" if drift.renamed else ""
    if drift.change is DriftChange.UNCHANGED:
        return _standing(drift)
    happened = {
        DriftChange.RENAMED: f"was renamed to {quoted(drift.new_name)} in Xero",
        DriftChange.ARCHIVED: f"was archived{renamed} in Xero",
        DriftChange.DELETED: "was deleted in Xero",
        DriftChange.RESTORED: f"was restored{renamed} in Xero",
        DriftChange.NEW: "is new in Xero",
    }
    return happened[drift.change]


def _standing(drift: Drift) -> str:
    if drift.new_status is None:
        return "does not exist in Xero"
    if drift.new_status is TrackingStatus.ACTIVE:
        return "is unchanged"
    return f"is {drift.new_status.value.lower()} in Xero"


def _advice(usage: DriftUsage, drift: Drift, fixes: tuple[DriftFix, ...]) -> str:
    if fixes:
        words = [f.describe() for f in fixes]
        choice = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        named = usage is DriftUsage.NAMED_OPTION
        lead = f"host values {quoted(drift.known_name)} no longer match it; " if named else ""
        return f"; {lead}{choice}."
    if drift.change is DriftChange.RENAMED:
        return "; the mapping holds its id, so it keeps working."
    if usage is DriftUsage.NAMED_OPTION:
        return "; host values that name it now match."
    return "."
