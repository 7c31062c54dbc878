"""Hypothesis strategies for the test suite: the public ones in `trackmap.testing.strategies`.

Tests import them from here (attrs style); every new feature extends the public module.
"""

from trackmap.testing.strategies import (
    FIELD_NAMES,
    VALUE_POOL,
    arbitrary_documents,
    capabilities,
    documents,
    field_specs,
    host_values,
    mappings,
    schemas,
    statuses,
    valid_mappings,
)

__all__ = [
    "FIELD_NAMES",
    "VALUE_POOL",
    "arbitrary_documents",
    "capabilities",
    "documents",
    "field_specs",
    "host_values",
    "mappings",
    "schemas",
    "statuses",
    "valid_mappings",
]
