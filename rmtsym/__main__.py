"""``python -m rmtsym``: the same as the ``rmtsym`` command."""

import sys

from .cli import main

sys.exit(main())
