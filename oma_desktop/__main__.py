"""``python -m oma_desktop``."""

import sys

from oma_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
