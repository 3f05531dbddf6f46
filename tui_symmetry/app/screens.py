"""Screens besides the main one: the help screen (``?`` / F1), the base of every
modal screen of the app (:class:`Modal`: closes once), and the base of every screen
(:class:`SizedScreen`: laid out at the terminal's present size only)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

HelpRow = tuple[str, str]
"""(keys as shown, what they do)."""

TWO_COLUMNS_WIDTH = 110
"""From this terminal width the key tables sit side by side (all keys fit at 120×40)."""


Result = TypeVar("Result")


class SizedScreen(Screen[Result]):
    """A screen that lays itself out at the terminal's present size, never an older one.

    Textual's screen, laid out at a new size, queues a resize of that size to itself.
    When the terminal was resized again while the screen was busy (or a modal on top
    laid it out at once while the app's resize was still queued for it), the screen
    held resizes of two sizes with other messages between them; each one laid it out
    anew and queued itself again, for ever: the screen's queue never emptied, so no
    other task ran (no key, no quit, no SIGHUP handler), at 100% of a core.  A resize
    for a size the app no longer has is dropped; the one for the present size is
    queued after it.  (The app is full-screen, never inline: its screens have the
    app's size.)
    """

    async def _on_resize(self, event: events.Resize) -> None:
        if event.size != self.app.size:
            event.prevent_default()  # Textual's layout at a size that is gone
            event.stop()


class Modal(ModalScreen[Result], SizedScreen[Result]):
    """A modal screen that closes once, however many close keys arrive at once.

    Two close keys in one breath (c then Esc in the scene picker) both reach the screen
    before the first close lands; Textual's ``dismiss`` pops whatever screen is on top,
    so the second one popped the screen under it (the main screen: ScreenStackError,
    the app ended).  A screen that is no longer on top has nothing left to close.
    ModalScreen comes first among the bases: Textual takes a screen's default CSS from
    its first base only (the see-through background of a modal).
    """

    def dismiss(self, result: Result | None = None) -> AwaitComplete:
        if not self.is_active:
            return AwaitComplete.nothing()
        return super().dismiss(result)


class HelpScreen(Modal[None]):
    """Every key of the app, grouped; any of Esc, q, ? or F1 closes it.

    The list is taller than small terminals (80×24, 100×30), so it scrolls: the
    scroll box has the focus, which gives it ↑ ↓ PgUp PgDn Home End (Textual's
    scrolling keys) and the mouse wheel; j and k scroll as well.
    """

    AUTO_FOCUS = "#help-scroll"  # the app focuses nothing by default; here keys scroll
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", id="help-close"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="help-up"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="help-down"),
    ]

    def __init__(self, sections: list[tuple[str, list[HelpRow]]], intro: str) -> None:
        super().__init__()
        self.sections = sections
        self.intro = intro

    def compose(self) -> ComposeResult:
        # Run and View on the left, the rest (Lecture, Settings) on the right; stacked
        # when narrow.
        left, right = self.sections[:2], self.sections[2:]
        with Vertical(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc / ? close"
            with VerticalScroll(id="help-scroll"):
                yield Static(Text(self.intro), id="help-intro")
                with Horizontal(id="help-columns"):
                    yield Static(self._table(left), classes="help-table")
                    yield Static(self._table(right), classes="help-table")

    def on_mount(self) -> None:
        self._arrange(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._arrange(self.app.size.width)

    def _arrange(self, width: int) -> None:
        columns = self.query_one("#help-columns", Horizontal)
        columns.styles.layout = "horizontal" if width >= TWO_COLUMNS_WIDTH else "vertical"

    @staticmethod
    def _table(sections: list[tuple[str, list[HelpRow]]]) -> Table:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column("keys", style="bold", no_wrap=True, min_width=7)
        table.add_column("action", ratio=1)
        for index, (title, rows) in enumerate(sections):
            if index:
                table.add_row("", "")
            table.add_row(Text(title, style="bold underline"), "")
            for keys, what in rows:
                table.add_row(keys, what)
        return table

    def action_scroll(self, lines: int) -> None:
        """Scroll the key list (it is taller than small terminals)."""
        self.query_one("#help-scroll", VerticalScroll).scroll_relative(y=lines, animate=False)
