"""``python -m db <command>`` — see ``python -m db --help``."""

import sys

from db.cli import main

sys.exit(main())
