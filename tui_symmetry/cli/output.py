"""Where a command's result goes: stdout, written whole, and how wide it may be."""

from __future__ import annotations

import shutil
from typing import TextIO

from tui_symmetry.cli.errors import OutputFailure
from tui_symmetry.export import os_error_reason


def write_output(stream: TextIO, text: str) -> None:
    """Write a command's result to ``stream`` (stdout) and flush it.

    A reader that went away (BrokenPipeError) is left to ``main``; any other failure
    to write becomes one line, not a traceback.
    """
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputFailure(f"cannot write the output: {os_error_reason(exc)}") from None


def isatty(stream: TextIO | None) -> bool:
    """True when ``stream`` is a terminal (False for replaced or closed streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def report_width(stdout: TextIO) -> int | None:
    """The columns a report may use: the terminal's (``COLUMNS`` overrides it, as
    everywhere), or None when stdout is not a terminal: then every row stays on one
    line, however long, so scripts reading the report see one stable format."""
    if not isatty(stdout):
        return None
    return shutil.get_terminal_size().columns
