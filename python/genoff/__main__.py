import sys

from genoff.cli import main

sys.exit(main())
