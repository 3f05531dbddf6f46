"""Training away from the UI's event loop.

``protocol``  the :class:`Runner` interface the app drives
``sync``      :class:`SyncRunner`: trains in the caller, only when asked (tests, screenshots)
``process``   :class:`ProcessRunner`: trains in a child process and streams snapshots
``child``     the child process's side: :class:`~.child.TrainingProcess`
``messages``  the typed commands and replies that cross the pipe
``outbox``    the child's one-slot outbox and its sender thread
``rate``      measuring the training rate and capping it (the speed control)
"""

from tui_symmetry.runner.process import ProcessRunner
from tui_symmetry.runner.protocol import Runner, RunnerError, UpdateListener
from tui_symmetry.runner.sync import SyncRunner

__all__ = ["ProcessRunner", "Runner", "RunnerError", "SyncRunner", "UpdateListener"]
