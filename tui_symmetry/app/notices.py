"""The notice line: one line that says what the last key did, overwritten by the next.

Why not Textual's toasts: fast ``+``/``-`` or ``i``/``d`` raised one toast per key
press, a stack of them covered the panels, and a Textual bug left fragments of removed
toasts stuck over the panels (they repaint only the lines that changed).  A single
line that is overwritten in place cannot pile up, costs no layout pass, and sends a
few dozen bytes.  Every notification of the app lands here (see
``SymmetryApp.notify``), so there is one place to look.
"""

from __future__ import annotations

from textual.content import Content
from textual.markup import MarkupError
from textual.timer import Timer
from textual.widgets import Static

from tui_symmetry.app.controller import Severity

NOTICE_SECONDS = 6.0
"""How long a notice stays before the line clears (errors: twice as long)."""


class NoticeLine(Static):
    """The newest notice, styled by severity; it clears itself after a while."""

    DEFAULT_CSS = """
    NoticeLine {
        width: 1fr;
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
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
        self.update(content if isinstance(content, Content) else Content(content),
                    layout=False)
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
            self.update("", layout=False)
