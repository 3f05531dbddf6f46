"""How the command line fails: its exit statuses and the one line it says.

Exit status: 0 done (a diverged run is a result, not an error), 1 a runtime failure
(a file cannot be written, the app cannot start), 2 bad input of any kind (the app
started without a terminal included), 130 interrupted.  Every failure is exactly one
``tui-symmetry: error: ...`` line on stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from enum import IntEnum
from typing import TextIO

from tui_symmetry.settings import PROG


class ExitCode(IntEnum):
    """The command line's exit statuses (docs/contracts.md)."""

    OK = 0
    RUNTIME = 1
    USAGE = 2
    INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class RuntimeFailure(Exception):
    """The input was fine but the work could not be done: one line, exit status 1."""


class OutputFailure(RuntimeFailure):
    """stdout cannot be written (a full disk, a file size limit): exit status 1."""


def silence_stdout() -> None:
    """Point stdout at devnull after it failed, so the interpreter's final flush of what
    is still buffered does not fail again (and print a complaint, exit status 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def fail(stderr: TextIO, message: str, status: ExitCode) -> int:
    """Say ``message`` as the one error line on ``stderr``; returns ``status``."""
    # One line, whatever the message contains (parser output can embed newlines).
    line = " ".join(message.split())
    stderr.write(f"{PROG}: error: {line}\n")
    stderr.flush()
    return int(status)
