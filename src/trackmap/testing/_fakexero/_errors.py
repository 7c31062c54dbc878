"""The one error FakeXero raises at its own callers: a test set-up that cannot be honoured."""

from __future__ import annotations

from trackmap.errors import TrackmapError

__all__ = ["FakeXeroError"]


class FakeXeroError(TrackmapError):
    """A FakeXero set-up call named something the fake does not hold (a tenant, id or kind).

    It is raised only by the Python set-up and inspection helpers (``add_option``,
    ``set_document_status``...). What goes over HTTP is answered the way Xero answers it.
    """
