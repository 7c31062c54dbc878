"""Source adapters: how a host's records become trackmap documents and Xero bodies."""

from trackmap._sources._adapter import FieldValue, RecordT, SourceAdapter, field_text
from trackmap._sources._body import BodyLine, ContactRef, DocumentBody, Outbound
from trackmap._sources._split import split_body

__all__ = [
    "BodyLine",
    "ContactRef",
    "DocumentBody",
    "FieldValue",
    "Outbound",
    "RecordT",
    "SourceAdapter",
    "field_text",
    "split_body",
]
