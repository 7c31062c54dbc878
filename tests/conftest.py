"""Suite-wide set-up: the Xero contract plugin checks every request body of the session."""

pytest_plugins = ["contract.plugin"]
