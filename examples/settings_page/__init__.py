"""An example "Xero tracking" settings page a host can copy: Flask over trackmap's page model.

Run it with ``python -m examples.settings_page`` from the repository root (it listens on
127.0.0.1 only) and open the address it prints. See README.md in this folder.
"""
