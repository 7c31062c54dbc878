"""trackmap: map a host app's records to Xero tracking categories, and deliver them safely."""

from trackmap._version import __version__

__all__ = ["__version__"]
