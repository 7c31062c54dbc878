"""``python -m examples.settings_page``: serve the example settings page on 127.0.0.1."""

from .app import main

main()
