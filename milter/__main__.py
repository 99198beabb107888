"""``python -m milter`` is ``postwarden``."""

import sys

from milter.cli.main import main

sys.exit(main())
