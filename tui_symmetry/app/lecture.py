"""The lecture in the app: the caption panel of the scene on screen and the scene picker.

A scene is a built-in :class:`~tui_symmetry.scenarios.Scenario`.  The app opens one
(``--scenario NAME``, PageDown / PageUp, ``c``); the caption panel then stays on screen,
in its own box under the views, until the app leaves the lecture.  Which scene follows
which is the order of :data:`~tui_symmetry.scenarios.SCENARIOS`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_symmetry.app.paging import PagingOptionList
from tui_symmetry.app.screens import Modal
from tui_symmetry.scenarios import SCENARIOS, SCENE_NAMES, Scenario


class CaptionPanel(Static):
    """The scene's caption, led by its title, and where the scene stands.

    Hidden (``display`` False) while no scene is open.  Its box's border title names
    the scene and its place in the lecture; its bottom border (:attr:`status`) says
    whether the scene paused itself at its point, and the keys of the lecture.  The
    title runs into the caption: every row the caption does not take goes to the view
    above it.
    """

    DEFAULT_CSS = """
    CaptionPanel {
        height: auto;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scenario: Scenario | None = None
        self.paused_at: int | None = None
        self.text = ""
        """The caption as drawn (plain text), for tests and screen readers."""
        self.status = Content("")
        """Where the scene stands and the lecture's keys (its box's bottom border)."""

    def show_scene(self, scenario: Scenario | None, paused_at: int | None = None) -> None:
        """Draw ``scenario``'s caption; ``paused_at``: the step where it paused itself."""
        self.scenario = scenario
        self.paused_at = paused_at
        if scenario is None:
            self.text, self.status = "", Content("")
            self.update("")
            return
        text = Text()
        text.append(scenario.title.rstrip(".") + ".", style="bold")
        text.append(" " + scenario.caption)
        keys = "PgDn next · c scenes"  # whole at 80 columns, with the pause
        if paused_at is not None:
            self.status = Content.assemble((f" paused at step {paused_at:,} ", "bold reverse"),
                                           f" space plays on · {keys}")
        elif scenario.pause_at is not None:
            self.status = Content(f"pauses itself at step {scenario.pause_at:,} · {keys}")
        else:
            self.status = Content(keys)
        self.text = text.plain
        self.update(text)


class CaptionBox(Container):
    """The caption's box: as tall as the caption, under the views."""

    DEFAULT_CSS = """
    CaptionBox {
        height: auto;
        max-height: 10;
    }
    """


class ScenePicker(Modal[str | None]):
    """Every scene of the lecture in a list: Enter opens one, Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c,q", "dismiss(None)", "Close", id="scenes-close"),
    ]

    DEFAULT_CSS = """
    ScenePicker {
        align: center middle;
    }
    #scenes-box {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        border: round $accent;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    #scenes {
        height: auto;
        max-height: 100%;
        border: none;
    }
    """

    AUTO_FOCUS = "#scenes"

    def __init__(self, current: Scenario | None = None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        width = max(len(name) for name in SCENE_NAMES)
        options = [
            Option(Text.assemble((f"{number:>2}  {name:<{width}}  ", "bold"), scenario.title),
                   id=name)
            for number, (name, scenario) in enumerate(SCENARIOS.items(), start=1)
        ]
        with Vertical(id="scenes-box") as box:
            box.border_title = "Scenes"
            box.border_subtitle = "Enter open · Esc close"
            yield PagingOptionList(*options, id="scenes")

    def on_mount(self) -> None:
        if self.current is not None:
            self.query_one(OptionList).highlighted = SCENE_NAMES.index(self.current.name)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)  # once, however many Enters are queued (Modal)
