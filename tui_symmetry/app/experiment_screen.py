"""An experiment inside the app (experiments/registry.py): its runs trained on the
run's settings, away from the UI, and its table or plot drawn as they train.

Like compare: a runner of the app's kind (a training process of its own, or a
synchronous one in tests: ``Runner.sibling``) trains an
:class:`~tui_symmetry.experiments.registry.ExperimentRun`, and a
:class:`~tui_symmetry.app.controller.RunController` of the screen's own decides play,
step, speed and restart; the runs hold at their last step (the experiment is done).
The screen is modal, so no key reaches the run behind it, which stays paused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_symmetry.app import keys
from tui_symmetry.app.controller import Notice, RunController, RunState
from tui_symmetry.app.main_screen import NUMBERS_INTERVAL, KeyFooter
from tui_symmetry.app.notices import NoticeLine
from tui_symmetry.app.paging import PagingOptionList
from tui_symmetry.app.run_keys import RunKeyActions
from tui_symmetry.app.runner_screen import WatchesRunner
from tui_symmetry.app.screens import HelpScreen, Modal
from tui_symmetry.app.status import rate_words, state_text
from tui_symmetry.app.widgets.experiments import drawing_of
from tui_symmetry.app.widgets.loss import SafePlot
from tui_symmetry.experiments.registry import (
    EXPERIMENTS,
    ExperimentJob,
    ExperimentRun,
    ExperimentSnapshot,
)
from tui_symmetry.runner import Runner
from tui_symmetry.settings import format_speed

if TYPE_CHECKING:
    from tui_symmetry.app.app import SymmetryApp

EXPERIMENT_HELP = (
    "An experiment trains a few runs of the run's settings from other seeds, on the "
    "same data, step for step, in a training process of its own, and measures what no "
    "single run shows. These keys act on it; the run behind it stays paused until you "
    "go back."
)


def title_text(job: ExperimentJob) -> str:
    """The first line: which experiment, on what."""
    experiment = job.experiment
    return (f"Experiment: {experiment.title} · {job.steps:,} steps each, the run's "
            "settings  (esc: back to the run)")


def status_text(picture: ExperimentSnapshot, state: RunState, speed: float | None,
                show_rate: bool = True, stalled_s: float | None = None) -> str:
    """``step 1,200 of 3,000 · 9,800 steps/s each · running``."""
    parts = [f"step {picture.step:,} of {picture.steps:,}"]
    if speed is not None:
        parts.append(f"cap {format_speed(speed)}")
    if state == "running":
        parts.append(f"{rate_words(picture.steps_per_s, show_rate)} each")
    parts.append("done" if picture.done else state_text(state, stalled_s))
    return " · ".join(part for part in parts if part)


def open_experiment(app: SymmetryApp, name: str) -> None:
    """Open experiment ``name`` on the app's run (which the controller pauses)."""
    request = app.controller.experiment_request(name)
    if request.paused:
        app.poll_now()
    runner = app.runner.sibling(request.job, ExperimentRun)
    app.push_screen(ExperimentScreen(runner, fps=app.fps, speed=app.controller.speed,
                                     show_rate=app.show_rates, clock=app.clock))


class ExperimentKeyActions:
    """``x`` on the app: the list of experiments (a mixin of the App, as RunKeyActions)."""

    def action_pick_experiment(self) -> None:
        """Show every experiment; Enter opens one on the run's settings."""
        app = cast("SymmetryApp", self)
        scene = app.controller.scene
        if not isinstance(app.screen, ExperimentPicker):
            # In a scene that names an experiment the list starts on it: a clicker's
            # Enter opens what the caption asks for.
            first = None if scene is None or scene.experiment is None else scene.experiment[0]
            app.push_screen(ExperimentPicker(first),
                            lambda name: None if name is None else open_experiment(app, name))


class ExperimentPicker(Modal[str | None]):
    """Every experiment in a list: Enter opens one, Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,x,q", "dismiss(None)", "Close", id="experiments-close"),
    ]
    DEFAULT_CSS = """
    ExperimentPicker { align: center middle; }
    #experiments-box { width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: round $accent; border-title-style: bold; background: $surface;
        padding: 0 1; }
    #experiments { height: auto; max-height: 100%; border: none; }
    """
    AUTO_FOCUS = "#experiments"

    def __init__(self, first: str | None = None) -> None:
        """``first``: the experiment highlighted at the start (None: the list's first)."""
        super().__init__()
        self.first = first

    def compose(self) -> ComposeResult:
        width = max(len(experiment.title) for experiment in EXPERIMENTS.values())
        options = [Option(Text.assemble((f"{experiment.title:<{width}}  ", "bold"),
                                        experiment.help), id=name)
                   for name, experiment in EXPERIMENTS.items()]
        with Vertical(id="experiments-box") as box:
            box.border_title = "Experiments (on the run's settings)"
            box.border_subtitle = "Enter open · Esc close"
            yield PagingOptionList(*options, id="experiments")

    def on_mount(self) -> None:
        if self.first in EXPERIMENTS:
            self.query_one(PagingOptionList).highlighted = list(EXPERIMENTS).index(self.first)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class ExperimentScreen(WatchesRunner, RunKeyActions, Modal[None]):
    """One experiment, trained by ``runner`` (an ExperimentRun's runner, not started
    yet; closed on leaving), drawn as a table or a plot with its verdict."""

    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings(keys.EXPERIMENT_KEYS))
    KEY_TABLE = keys.EXPERIMENT_KEYS
    """The keys of this screen: its bindings, help, footer and command palette."""

    DEFAULT_CSS = """
    ExperimentScreen { layout: vertical; background: $background; }
    ExperimentScreen #experiment-title, ExperimentScreen #experiment-verdict {
        height: auto; padding: 0 1; }
    ExperimentScreen #experiment-title { text-style: bold; }
    ExperimentScreen #experiment-status { height: 1; padding: 0 1; background: $panel; }
    ExperimentScreen #experiment-body { height: 1fr; }
    ExperimentScreen #experiment-table { height: 1fr; overflow: hidden; }
    ExperimentScreen #experiment-plot { height: 1fr; }
    """

    def __init__(self, runner: Runner, *, fps: float = 20.0, speed: float | None = None,
                 show_rate: bool = True, clock: Callable[[], float] = time.monotonic,
                 draw_interval: float = NUMBERS_INTERVAL) -> None:
        super().__init__()
        self.clock = clock
        self.draw_interval = draw_interval
        """While the runs train, the result is redrawn at most this often (every number
        of a table repainted is most of the bytes: 46 KB/s when drawn at every
        picture); a paused or finished experiment is drawn at once."""
        self._drawn: tuple[int, float] = (-1, -float("inf"))  # (version, when)
        self.runner = runner
        self.job = cast(ExperimentJob, runner.config)
        self.fps = fps
        self.show_rate = show_rate
        self.controller = RunController(runner, autoplay=True, speed=speed,
                                        recover_hint="r restarts", clock=clock,
                                        finish_at=self.job.steps)
        self.title_line = Static(id="experiment-title")
        self.table = Static(id="experiment-table")
        self.plot = SafePlot(id="experiment-plot")
        self.verdict_line = Static(id="experiment-verdict")
        self.notice_line = NoticeLine(id="experiment-notice")
        self.status_line = Static(id="experiment-status")
        self.picture: ExperimentSnapshot | None = None
        """The newest picture shown."""

    def compose(self) -> ComposeResult:
        yield self.title_line
        with Container(id="experiment-body", classes="box") as box:
            box.border_title = self.job.experiment.title
            yield self.table
            yield self.plot
        yield self.verdict_line
        yield self.notice_line
        yield self.status_line
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title_line.update(Text(title_text(self.job)))
        self.start_watching("experiment-poll")

    def poll(self) -> None:
        """Show the runner's newest picture, if new, and the state of the experiment."""
        if not self.is_attached:
            return
        self.say_runner_state()
        picture = cast(ExperimentSnapshot, self.runner.latest())
        if self.picture is None or picture.version != self.picture.version:
            self.picture = picture
            self._say(self.controller.observe(picture))  # type: ignore[arg-type]
        version, drawn_at = self._drawn
        now = self.clock()
        resting = self.controller.state != "running"
        if picture.version != version and (resting or now - drawn_at >= self.draw_interval):
            self._drawn = (picture.version, now)
            self.show(picture)
        self.status_line.update(Text(status_text(
            picture, self.controller.state, self.controller.speed, self.show_rate,
            self.controller.stalled_for())))

    def show(self, picture: ExperimentSnapshot) -> None:
        """Draw the result (a table or a plot) and its verdict."""
        drawing = drawing_of(picture.name, picture.result)
        is_text = isinstance(drawing, Text)
        self.table.display, self.plot.display = is_text, not is_text
        if is_text:
            self.table.update(drawing)
        else:
            self.plot.draw(drawing)
        self.verdict_line.update(Text(f"step {picture.step:,}: {picture.result.verdict}"))

    def _after_command(self, notice: Notice | None = None) -> None:
        self._say(notice)
        self.poll()

    def action_reset(self) -> None:
        """Run the experiment again from step 0 (same settings and seeds)."""
        self.controller.reset(self.job)
        self._after_command(self.controller.play() or Notice("restarted from step 0"))

    def action_help(self) -> None:
        """Show the keys of this screen."""
        sections = keys.help_sections_of(self.app, keys.EXPERIMENT_KEYS,
                                         keys.COMPARE_EXTRA_HELP)
        self.app.push_screen(HelpScreen(sections, EXPERIMENT_HELP))

    def action_close(self) -> None:
        """Back to the run: the experiment's training process stops."""
        self.dismiss()
