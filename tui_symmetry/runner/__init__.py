"""Training away from the UI's event loop.

``protocol``  the :class:`Runner` interface the app drives
``sync``      :class:`SyncRunner`: trains in the caller, only when asked (tests, screenshots)
``process``   :class:`ProcessRunner`: trains in a child process and streams snapshots
"""

from tui_symmetry.runner.process import ProcessRunner
from tui_symmetry.runner.protocol import Runner, RunnerError, UpdateListener
from tui_symmetry.runner.sync import SyncRunner

__all__ = ["ProcessRunner", "Runner", "RunnerError", "SyncRunner", "UpdateListener"]
