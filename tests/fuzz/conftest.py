"""The reliability fixtures (the end-to-end lab) for the long targets too."""

from tests.reliability.conftest import lab, module_lab

__all__ = ["lab", "module_lab"]
