"""Options as the host's reference data: what changed in a chosen category since the last sync.

Some hosts mirror a tracking category's options as their own records (Scoro's "accounting
objects": departments kept in step with Xero). Xero has no timestamps on options and no
If-Modified-Since on tracking categories (XERO.md), so the only way to know what changed is to
read the whole list and compare it with what the host saw last time. The host keeps that as an
`OptionSnapshot` (the cursor: a frozen value with a JSON-able `dump` / `load` pair) and hands it
back on the next sync.

The rules:

Rule 1. Options are compared by id: a rename is RENAMED (same id), never a delete plus an add.
Rule 2. An option the snapshot had that the category no longer returns, or returns as DELETED,
        is DELETED (Xero stops returning deleted options).
Rule 3. Without a snapshot (the first sync) every option present is ADDED, with its status.
Rule 4. An option renamed and archived (or restored) at once yields two changes, the rename first.
Rule 5. Comparing against a snapshot of another category (the host chose a different category)
        needs no special case: by id, the old options are DELETED and the new ones ADDED.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence

import attrs

from trackmap._engine._quote import quoted
from trackmap._engine._schema import TrackingOption, TrackingSchema, TrackingStatus
from trackmap.errors import SettingsError, SettingsProblem

__all__ = [
    "OptionChange",
    "OptionChangeKind",
    "OptionSnapshot",
    "ReferenceChanges",
    "option_changes",
    "snapshot_options",
]

_SNAPSHOT_VERSION = 1


class OptionChangeKind(enum.Enum):
    """What happened to one option since the last sync."""

    ADDED = "added"
    RENAMED = "renamed"
    ARCHIVED = "archived"
    DELETED = "deleted"
    RESTORED = "restored"


@attrs.frozen(kw_only=True)
class OptionChange:
    """One change for the host to mirror, by option id.

    Attributes:
        kind: What happened.
        option_id: The option's Xero id: the key the host mirrors by.
        name: The option's name now (for a deleted option, its last known name).
        status: The option's status now (DELETED when Xero no longer returns it).
        old_name: The previous name, for a rename.
    """

    kind: OptionChangeKind
    option_id: str
    name: str
    status: TrackingStatus
    old_name: str | None = None

    def message(self, category_name: str) -> str:
        """Say it in words: 'Department option "Ops" was renamed to "Operations".'."""
        subject = f"{category_name} option {quoted(self.old_name or self.name)}"
        if self.kind is OptionChangeKind.RENAMED:
            return f"{subject} was renamed to {quoted(self.name)}."
        return f"{subject} was {self.kind.value}."


@attrs.frozen(kw_only=True)
class OptionSnapshot:
    """The options of one category as the host last saw them: the cursor between syncs."""

    category_id: str
    category_name: str = ""
    options: tuple[TrackingOption, ...] = ()

    def dump(self) -> dict[str, object]:
        """Return a JSON-able dict that `OptionSnapshot.load` reads back."""
        return {
            "version": _SNAPSHOT_VERSION,
            "category_id": self.category_id,
            "category_name": self.category_name,
            "options": [
                {"id": o.id, "name": o.name, "status": o.status.value} for o in self.options
            ],
        }

    @classmethod
    def load(cls, data: object) -> OptionSnapshot:
        """Read a dict made by `dump` (parsed from JSON); every problem is reported at once.

        Raises:
            SettingsError: The data is not a snapshot; ``problems`` says where and why.
        """
        problems: list[SettingsProblem] = []
        snapshot = _load_snapshot(data, problems)
        if snapshot is None or problems:
            raise SettingsError(problems, subject="the option snapshot")
        return snapshot


@attrs.frozen(kw_only=True)
class ReferenceChanges:
    """What the host must do to mirror one category's options, and the cursor to keep.

    Attributes:
        category_id: The chosen category.
        category_name: Its name now (or as last seen, when it is gone).
        category_status: Its status now; None when the organisation no longer has it.
        changes: The option changes, in the organisation's option order, deletions last.
        cursor: The snapshot to store and hand back on the next sync.
    """

    category_id: str
    category_name: str
    category_status: TrackingStatus | None
    changes: tuple[OptionChange, ...]
    cursor: OptionSnapshot

    def of_kind(self, kind: OptionChangeKind) -> tuple[OptionChange, ...]:
        """The changes of one kind."""
        return tuple(c for c in self.changes if c.kind is kind)

    @property
    def added(self) -> tuple[OptionChange, ...]:
        """Options new since the last sync."""
        return self.of_kind(OptionChangeKind.ADDED)

    @property
    def renamed(self) -> tuple[OptionChange, ...]:
        """Options whose name changed (same id)."""
        return self.of_kind(OptionChangeKind.RENAMED)

    @property
    def archived(self) -> tuple[OptionChange, ...]:
        """Options archived since the last sync."""
        return self.of_kind(OptionChangeKind.ARCHIVED)

    @property
    def deleted(self) -> tuple[OptionChange, ...]:
        """Options deleted (or no longer returned) since the last sync."""
        return self.of_kind(OptionChangeKind.DELETED)

    @property
    def restored(self) -> tuple[OptionChange, ...]:
        """Options active again after being archived."""
        return self.of_kind(OptionChangeKind.RESTORED)


def snapshot_options(schema: TrackingSchema, category_id: str) -> OptionSnapshot:
    """Take the cursor of ``category_id`` in ``schema`` (deleted options left out).

    A category the schema does not have gives a snapshot with no options.
    """
    category = schema.category(category_id)
    if category is None:
        return OptionSnapshot(category_id=category_id)
    options = tuple(o for o in category.options if o.status is not TrackingStatus.DELETED)
    return OptionSnapshot(category_id=category_id, category_name=category.name, options=options)


def option_changes(
    schema: TrackingSchema, category_id: str, *, since: OptionSnapshot | None = None
) -> ReferenceChanges:
    """Compare the options of ``category_id`` in ``schema`` with the stored cursor ``since``.

    Args:
        schema: The organisation's schema, freshly read.
        category_id: The category the host mirrors.
        since: The cursor the previous sync returned; None on the first sync.

    Returns:
        The changes since ``since`` and the new cursor; see the module's rules.
    """
    now = snapshot_options(schema, category_id)
    before = since.options if since is not None else ()
    category = schema.category(category_id)
    return ReferenceChanges(
        category_id=category_id,
        category_name=now.category_name or (since.category_name if since else ""),
        category_status=category.status if category else None,
        changes=tuple(_changes(before, now.options)),
        cursor=now,
    )


def _changes(
    before: tuple[TrackingOption, ...], now: tuple[TrackingOption, ...]
) -> Iterator[OptionChange]:
    previous = {o.id: o for o in before}
    for option in now:
        yield from _option_changes(previous.get(option.id), option)
    current = {o.id for o in now}
    for option in before:
        if option.id not in current:
            yield OptionChange(
                kind=OptionChangeKind.DELETED,
                option_id=option.id,
                name=option.name,
                status=TrackingStatus.DELETED,
            )


def _option_changes(old: TrackingOption | None, new: TrackingOption) -> Iterator[OptionChange]:
    def change(kind: OptionChangeKind, old_name: str | None = None) -> OptionChange:
        return OptionChange(
            kind=kind, option_id=new.id, name=new.name, status=new.status, old_name=old_name
        )

    if old is None:
        yield change(OptionChangeKind.ADDED)
        return
    if old.name != new.name:
        yield change(OptionChangeKind.RENAMED, old.name)
    if old.status is not new.status:
        active = new.status is TrackingStatus.ACTIVE
        yield change(OptionChangeKind.RESTORED if active else OptionChangeKind.ARCHIVED)


def _load_snapshot(data: object, problems: list[SettingsProblem]) -> OptionSnapshot | None:
    if not isinstance(data, Mapping):
        problems.append(SettingsProblem("$", "a snapshot must be an object"))
        return None
    if data.get("version") != _SNAPSHOT_VERSION:
        version = data.get("version")
        problems.append(
            SettingsProblem("$.version", f"unknown snapshot version {version!r}; expected 1")
        )
    _extra_keys(data, {"version", "category_id", "category_name", "options"}, "$", problems)
    category_id = _text(data, "category_id", "$", problems)
    category_name = _text(data, "category_name", "$", problems)
    raw_options = data.get("options")
    if not isinstance(raw_options, Sequence) or isinstance(raw_options, str):
        problems.append(SettingsProblem("$.options", "must be a list of options"))
        raw_options = ()
    options = [_load_option(raw, f"$.options[{i}]", problems) for i, raw in enumerate(raw_options)]
    return OptionSnapshot(
        category_id=category_id,
        category_name=category_name,
        options=tuple(o for o in options if o is not None),
    )


def _load_option(data: object, path: str, problems: list[SettingsProblem]) -> TrackingOption | None:
    if not isinstance(data, Mapping):
        problems.append(SettingsProblem(path, "an option must be an object"))
        return None
    _extra_keys(data, {"id", "name", "status"}, path, problems)
    option_id = _text(data, "id", path, problems)
    name = _text(data, "name", path, problems)
    status = data.get("status")
    if status not in {s.value for s in TrackingStatus}:
        problems.append(
            SettingsProblem(
                f"{path}.status", f"must be ACTIVE, ARCHIVED or DELETED, not {status!r}"
            )
        )
        return None
    return TrackingOption(id=option_id, name=name, status=TrackingStatus(status))


def _text(
    data: Mapping[object, object], key: str, path: str, problems: list[SettingsProblem]
) -> str:
    value = data.get(key)
    if isinstance(value, str):
        return value
    problems.append(SettingsProblem(f"{path}.{key}", f"must be text, not {value!r}"))
    return ""


def _extra_keys(
    data: Mapping[object, object], allowed: set[str], path: str, problems: list[SettingsProblem]
) -> None:
    # Unknown keys are refused, as in the settings converter: a typo must not pass silently.
    problems.extend(
        SettingsProblem(f"{path}.{key}", "is not a snapshot field")
        for key in data
        if key not in allowed
    )
