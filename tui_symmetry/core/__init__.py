"""The numeric core: numpy and scipy, synchronous, no UI.

It imports nothing else of tui_symmetry (tests/test_layering.py).  Each choice a setting
offers is a registry said once here: data.DATASETS, network.ACTIVATIONS,
init.INIT_SCHEMES, optim.OPTIMIZERS; config.FIELDS reads them.
"""

from tui_symmetry.core.config import Config, ConfigError
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer

__all__ = ["Config", "ConfigError", "Snapshot", "Trainer"]
