"""Reading a file the user named: only a regular file, and never more than a limit.

One home for the checks the settings files and the data tables both need: opening a
FIFO waits for a writer for ever, a device may never end (/dev/zero) or act on being
opened, and a huge file should fail before it is read.  The size and kind are checked
before opening; O_NONBLOCK and a second look at the opened file close the gap in which
the name could change.  Each caller words the refusal in its own terms.
"""

from __future__ import annotations

import os
import stat


class NotRegularFile(Exception):
    """The named file is a directory, FIFO, device...: ``mode`` is its ``st_mode``."""

    def __init__(self, mode: int) -> None:
        super().__init__(mode)
        self.mode = mode


class FileTooLarge(Exception):
    """The file holds more than the limit: ``size`` from its stat, or None when it grew
    past the limit after the stat."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


def read_regular_file(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of ``path``; NotRegularFile, FileTooLarge (over ``limit`` bytes), or
    OSError when it cannot be read."""
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise NotRegularFile(before.st_mode)
    if limit is not None and before.st_size > limit:
        raise FileTooLarge(before.st_size)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        opened = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(opened):
            raise NotRegularFile(opened)
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise FileTooLarge(None)
    return data
