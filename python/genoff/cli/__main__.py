"""``python -m genoff.cli``: the same as ``genoff``."""

import sys

from genoff.cli import main

sys.exit(main())
