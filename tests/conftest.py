"""Suite-wide set-up: the Xero contract plugin, and Hypothesis profiles.

- The contract plugin checks every request body of the session against Xero's OpenAPI contract.
- Hypothesis: no per-example deadline (the machine is shared, and a slow example is not a
  failure); under CI (``CI`` set) the examples are derandomised, so a run is reproducible and
  a failure is the code's, not the draw's. Locally each run draws afresh.
"""

import os

from hypothesis import settings

pytest_plugins = ["contract.plugin"]

settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
