"""``python -m nmbrs_provider``: see :mod:`nmbrs_provider.cli`."""

from __future__ import annotations

import sys

from nmbrs_provider.cli import main

if __name__ == "__main__":
    sys.exit(main())
