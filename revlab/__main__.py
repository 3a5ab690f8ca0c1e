"""``python -m revlab``: the same as the ``revlab`` command."""

import sys

from revlab import main

sys.exit(main())
