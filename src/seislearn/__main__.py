"""``python -m seislearn`` runs the command line."""

import sys

from seislearn.cli.main import main

sys.exit(main())
