"""``python -m kmeans_kit``: the kit's command line (:mod:`kmeans_kit.cli`)."""

import sys

from .cli import main

sys.exit(main())
