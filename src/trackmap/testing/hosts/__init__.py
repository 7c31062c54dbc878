"""Two complete sample hosts, for tests, docs and the demo (yours too).

- `trackmap.testing.hosts.jobs`: a job-management host (Streamtime-like): expenses, purchase
  orders and invoices of jobs; Branch, Job number and Job PO number bound by name.
- `trackmap.testing.hosts.practice`: a project-practice host (Synergy-like): invoices and credit
  notes billing project stages; record types mapped through tables, per document or per line.

Each offers a ``sample_*()`` builder returning a `HostSample`: the adapter, a few dozen records,
a matching `TrackingSchema` and the host's saved `TrackingMapping`. The data is fixed, so ids
and documents are the same in every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trackmap.testing.hosts._sample import HostSample, guid
from trackmap.testing.hosts.jobs import sample_jobs
from trackmap.testing.hosts.practice import sample_practice

__all__ = ["SAMPLES", "HostSample", "guid", "sample_jobs", "sample_practice"]

#: The sample hosts by name, as the command line's ``--host`` option knows them.
SAMPLES: dict[str, Callable[[], HostSample[Any]]] = {
    "jobs": sample_jobs,
    "practice": sample_practice,
}
