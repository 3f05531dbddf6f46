"""The numeric core: plain numpy, no UI.  Everything here is synchronous and pure."""

from tui_symmetry.core.config import Config, ConfigError
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer

__all__ = ["Config", "ConfigError", "Snapshot", "Trainer"]
