"""Settings files: mappings, schemas and documents to and from versioned JSON-able data."""

from trackmap._config._api import (
    VERSION,
    DocumentSet,
    dump_documents,
    dump_mapping,
    dump_schema,
    dumps_mapping,
    load_documents,
    load_mapping,
    load_schema,
    loads_json,
    loads_mapping,
    violation_path,
)
from trackmap._config._converter import CONVERTER

__all__ = [
    "CONVERTER",
    "VERSION",
    "DocumentSet",
    "dump_documents",
    "dump_mapping",
    "dump_schema",
    "dumps_mapping",
    "load_documents",
    "load_mapping",
    "load_schema",
    "loads_json",
    "loads_mapping",
    "violation_path",
]
