"""The training process's one-slot outbox and the thread that empties it into the pipe.

Sending (pickling, and blocking while the parent is slow to read) happens in a sender
thread, not in the training loop: a big snapshot (H = 256 carries a 512 KB similarity
matrix) would otherwise stall training for as long as the parent takes to read it.

Replies that answer a command (export documents, errors) queue up in order: each one
matters.  Snapshots do not queue: the outbox holds only the newest one, so an older
picture that was not sent yet is simply replaced, training never waits for the pipe,
and nothing stale piles up behind a slow link.
"""

from __future__ import annotations

import threading
from collections import deque
from multiprocessing.connection import Connection

from tui_symmetry.runner.messages import Reply, SnapshotReply


class Outbox:
    """What the child still has to send: replies in order, then only the newest picture."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._replies: deque[Reply] = deque()
        self._snapshot: SnapshotReply | None = None
        self._closed = False

    def reply(self, message: Reply) -> None:
        """Queue a message that must arrive (never replaced)."""
        with self._cond:
            self._replies.append(message)
            self._cond.notify()

    def publish(self, message: SnapshotReply) -> None:
        """Offer the newest picture, replacing one that was not sent yet."""
        with self._cond:
            self._snapshot = message
            self._cond.notify()

    def close(self) -> None:
        """Let :meth:`get` return None once everything queued has been taken."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def get(self, timeout: float | None = None) -> Reply | None:
        """The next message to send; None once closed and empty (or after ``timeout``)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._replies or self._snapshot is not None or self._closed, timeout
            )
            if self._replies:
                return self._replies.popleft()
            if self._snapshot is not None:
                message, self._snapshot = self._snapshot, None
                return message
            return None


def send_loop(conn: Connection, outbox: Outbox) -> None:
    """Send whatever the outbox holds until it is closed or the parent is gone."""
    try:
        while (message := outbox.get()) is not None:
            conn.send(message)
    except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
        return
