"""``python -m trackmap``: the same as the ``trackmap`` command."""

import sys

from trackmap._cli import main

if __name__ == "__main__":
    sys.exit(main())
