"""`python -m babylm ...`: see babylm/cli.py."""

import sys

from .cli import main

sys.exit(main())
