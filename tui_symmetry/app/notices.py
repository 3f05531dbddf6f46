"""The notice line: one line that says what the last key did, overwritten by the next.

Why not Textual's toasts: fast ``+``/``-`` or ``i``/``d`` raised one toast per key
press, a stack of them covered the panels, and a Textual bug left fragments of removed
toasts stuck over the panels (they repaint only the lines that changed).  A single
line that is overwritten in place cannot pile up, costs no layout pass, and sends a
few dozen bytes.  Every notification of the app lands here (:func:`deliver`, which
``SymmetryApp.notify`` calls), so there is one place to look.

A notice longer than the line wraps onto more lines (the bar grows, the views give way
for as long as it shows): what matters is often at the end, a valid range, a path, the
command line `y` copied, and cutting it with "…" lost exactly that.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.markup import MarkupError
from textual.timer import Timer
from textual.widgets import Static

from tui_symmetry.app.controller import Severity

if TYPE_CHECKING:
    from textual.app import App

    from tui_symmetry.app.main_screen import MainScreen

NOTICE_SECONDS = 6.0
"""How long a notice stays before the line clears (errors: twice as long)."""


class NoticeLine(Static):
    """The newest notice, styled by severity; it clears itself after a while."""

    DEFAULT_CSS = """
    NoticeLine {
        width: 1fr;
        height: auto;
        padding: 0 1;
        text-wrap: wrap;
        text-overflow: fold;
        color: $text-muted;
    }
    NoticeLine.-warning {
        color: $text-warning;
    }
    NoticeLine.-error {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        """The notice shown now ("" when the line is clear)."""
        self.severity: Severity = "information"
        self._timer: Timer | None = None
        self._wrapped = False  # the text on screen takes more than one line

    def say(self, text: str, severity: Severity = "information", *,
            timeout: float | None = None, markup: bool = False) -> None:
        """Show ``text`` in place of whatever was there."""
        self.text, self.severity = text, severity
        content: Content | str = text
        if markup:
            try:
                content = Content.from_markup(text)
            except MarkupError:
                content = text
        # One line in, one line out: no layout pass (a key that notifies stays cheap).
        # A text that may wrap, or one replacing wrapped text, changes the bar's height.
        width = self.content_size.width
        wraps = not width or len(text) > width
        self.update(content if isinstance(content, Content) else Content(content),
                    layout=wraps or self._wrapped)
        self._wrapped = wraps
        for level in ("warning", "error"):
            self.set_class(severity == level, f"-{level}")
        if self._timer is not None:
            self._timer.stop()
        seconds = timeout if timeout is not None else NOTICE_SECONDS * (
            2 if severity == "error" else 1)
        self._timer = self.set_timer(seconds, self.clear, name="notice-clear")

    def clear(self) -> None:
        """Blank the line."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.text:
            self.text = ""
            self.update("", layout=self._wrapped)
            self._wrapped = False


def deliver(app: App[Any], screen: MainScreen, message: str, title: str,
            severity: Severity, timeout: float | None, markup: bool) -> bool:
    """Show a notification on ``screen``'s notice line; False if the screen is not up.

    One line, overwritten by the next notice: fast keys can never pile up toasts.
    Thread-safe, like Textual's notify: a worker's notice hops to the UI thread.  False
    (before the screen is up or after it has gone) leaves it to Textual's own notify.
    """
    if not screen.ready:
        return False
    text = f"{title}: {message}" if title else str(message)
    line = screen.notice_line
    if app._thread_id != threading.get_ident():  # a worker: hop to the UI thread
        app.call_later(line.say, text, severity, timeout=timeout, markup=markup)
    else:
        line.say(text, severity, timeout=timeout, markup=markup)
    return True
