"""``python -m milter`` is ``postwarden``."""

import sys

from milter.cli import main

sys.exit(main())
