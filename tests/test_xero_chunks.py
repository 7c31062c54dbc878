"""Request splitting and request keys: properties over any sizes and keys."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from trackmap._engine._schema import Capabilities
from trackmap.xero._target import _WRAPPER_BYTES, _Ready, chunks, request_key

sizes = st.lists(st.integers(min_value=1, max_value=400), max_size=120)
capabilities = st.builds(
    Capabilities,
    batch_size=st.integers(min_value=1, max_value=60),
    batch_bytes=st.integers(min_value=_WRAPPER_BYTES + 402, max_value=20_000),
)


def ready(sizes_):
    return [_Ready(index=n, item=None, model=None, size=size) for n, size in enumerate(sizes_)]


class TestChunks:
    """Every document lands in exactly one request, in order, within both limits."""

    @given(sizes, capabilities)
    def test_limits_order_and_coverage(self, sizes_, caps):
        """Chunks concatenate back to the input; none is empty, too long or too big."""
        split = list(chunks(ready(sizes_), caps))
        assert list(range(len(sizes_))) == [r.index for chunk in split for r in chunk]
        for chunk in split:
            assert 1 <= len(chunk) <= caps.batch_size
            assert sum(r.size + 1 for r in chunk) <= caps.batch_bytes - _WRAPPER_BYTES

    @given(sizes, capabilities)
    def test_no_needless_split(self, sizes_, caps):
        """A request is closed only because the next document would not fit in it."""
        split = list(chunks(ready(sizes_), caps))
        for chunk, following in itertools.pairwise(split):
            total = sum(r.size + 1 for r in chunk) + following[0].size + 1
            assert len(chunk) == caps.batch_size or total > caps.batch_bytes - _WRAPPER_BYTES

    def test_fifty_per_request(self):
        assert [50, 50, 20] == [len(c) for c in chunks(ready([10] * 120), Capabilities())]


keys = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=10)


class TestRequestKey:
    """The Idempotency-Key is deterministic, short enough, and tied to the items and order."""

    @given(st.text(max_size=40), st.text(max_size=20), keys)
    def test_deterministic_hex_within_limit(self, tenant, purpose, items):
        """Same inputs give the same key: 64 lower-case hex characters (Xero allows 128)."""
        key = request_key(tenant, purpose, items)
        assert key == request_key(tenant, purpose, list(items))
        assert 64 == len(key)
        assert set(key) <= set("0123456789abcdef")

    @given(keys, st.text(min_size=1, max_size=5))
    def test_changes_with_items(self, items, extra):
        """Adding an item, or reordering distinct items, changes the key."""
        assert request_key("t", "p", items) != request_key("t", "p", [*items, extra])
        if len(set(items)) > 1:
            assert request_key("t", "p", items) != request_key("t", "p", items[::-1]) or (
                items == items[::-1]
            )

    def test_tenant_and_purpose_matter(self):
        base = request_key("t", "create_invoices sales_invoice", ["k"])
        assert base != request_key("u", "create_invoices sales_invoice", ["k"])
        assert base != request_key("t", "create_invoices bill", ["k"])
