"""`python -m lockstep_golden`: see cli.py."""

import sys

from .cli import main

sys.exit(main())
