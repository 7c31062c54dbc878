"""What a sample host hands to tests, docs and the demo: an adapter, records, schema, mapping."""

from __future__ import annotations

import uuid
from typing import Generic

import attrs

from trackmap._engine._document import Document
from trackmap._engine._mapping import FieldSpec, TrackingMapping
from trackmap._engine._schema import TrackingSchema
from trackmap._sources._adapter import RecordT, SourceAdapter

__all__ = ["HostSample", "guid"]

# Fixed, so that sample ids are the same in every run and on every machine.
_NAMESPACE = uuid.UUID("6f1c1b52-5a43-4c47-9d1e-2b6f5d1e7a90")


def guid(*parts: str) -> str:
    """Return a stable Xero-style GUID for a sample object named by ``parts``."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@attrs.frozen(kw_only=True)
class HostSample(Generic[RecordT]):
    """A complete sample host: its adapter and records, and an organisation to map them to.

    Attributes:
        name: The host's short name (``"jobs"`` or ``"practice"``).
        adapter: The host's source adapter.
        records: The host's documents (its own models), a few dozen of mixed kinds.
        schema: A matching Xero organisation's tracking categories.
        mapping: The host's saved tracking settings for that organisation.
    """

    name: str
    adapter: SourceAdapter[RecordT]
    records: tuple[RecordT, ...]
    schema: TrackingSchema
    mapping: TrackingMapping

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        """The fields the host's adapter offers."""
        return self.adapter.fields()

    def documents(self) -> tuple[Document, ...]:
        """Every record as an engine document."""
        return tuple(self.adapter.documents(self.records))
