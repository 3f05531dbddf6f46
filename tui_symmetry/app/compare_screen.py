"""Compare inside the app: the current settings (A) and one changed option (B), side by side.

Both runs start from step 0 on the same data and seed and train step for step
(:class:`~tui_symmetry.experiments.lockstep.Lockstep`), in a training process of their own, as
the main run does: a runner trains the pair and this screen only shows the pictures it
hands over.  Each side shows its Weights and Similarity panels; underneath, the verdict
and B's units matched to A's (core/matching.py) against its chance level.

The screen is modal: its keys act on the comparison (play / pause, step, speed,
restart, back), decided by a :class:`~tui_symmetry.app.controller.RunController` of its
own, and no key reaches the run behind it, which stays paused.  The text on screen
comes from the small functions below, one per line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Static

from tui_symmetry.app import keys
from tui_symmetry.app.controller import CompareRequest, Notice, RunController, RunState
from tui_symmetry.app.main_screen import KeyFooter
from tui_symmetry.app.notices import NoticeLine
from tui_symmetry.app.numbers import format_fixed
from tui_symmetry.app.run_keys import RunKeyActions
from tui_symmetry.app.runner_screen import WatchesRunner
from tui_symmetry.app.screens import HelpScreen, Modal
from tui_symmetry.app.status import rate_words, state_text
from tui_symmetry.app.widgets import SimilarityPanel, WeightsPanel
from tui_symmetry.core.matching import Matching
from tui_symmetry.experiments.compare import matching_words, verdict
from tui_symmetry.experiments.lockstep import Lockstep, PairSnapshot
from tui_symmetry.runner import Runner
from tui_symmetry.settings import format_speed

if TYPE_CHECKING:
    from tui_symmetry.app.app import SymmetryApp

COMPARE_HELP = (
    "A is the run's settings, B the same with one option changed: both from step 0, on "
    "the same data and seed, step for step, in a training process of their own. These "
    "keys act on the comparison; the run behind it stays paused until you go back."
)


def title_text(change: str) -> str:
    """The first line: what A and B are."""
    return (f"Compare  A: the current settings  ·  B: {change}"
            "  (same data and seed; esc: back to the run)")


def verdict_text(pair: PairSnapshot) -> str:
    """The step and one line on each run (experiments/compare.py)."""
    return f"step {pair.step:,}  ·  {verdict(pair.a.summary(), pair.b.summary())}"


def matching_text(matching: Matching) -> str:
    """B's units matched to A's, in words: the mean matched similarity, beside the same
    between runs of A's and B's settings started apart and trained as long (the trained
    baseline, experiments/baseline.py) and between untrained random starts (chance)."""
    words = matching_words(matching, lambda value: format_fixed(value, 3))
    if words.reason is not None:
        return words.reason
    # 76 characters in all (numbers of 0.xxx): the line fits 80 columns.
    text = f"B matched to A: {words.mean}"
    if words.trained is not None:
        text += f" · trained apart {words.trained}"
    return text + f" · chance {words.chance}"


def status_text(pair: PairSnapshot, state: RunState, speed: float | None,
                show_rate: bool = True, stalled_s: float | None = None) -> str:
    """``9,800 steps/s each (cap 10,000 steps/s) · running``: each run's rate (only
    while they train), the speed cap, the state (a stall says for how long)."""
    cap = "" if speed is None else f"cap {format_speed(speed)}"
    if state == "running":
        rate = f"{rate_words(pair.steps_per_s, show_rate)} each"
        return f"{rate} ({cap}) · running" if cap else f"{rate} · running"
    return " · ".join(part for part in (cap, state_text(state, stalled_s)) if part)


def open_compare(app: SymmetryApp, request: CompareRequest) -> CompareScreen:
    """The compare screen of ``request`` (a valid one) beside ``app``'s run.

    A runner of the same kind as the run's trains the pair (a training process of its
    own, or synchronously in tests), from the run's speed cap.
    """
    assert request.pair is not None
    runner = app.runner.sibling(request.pair, Lockstep)
    return CompareScreen(runner, request.change, fps=app.fps, speed=app.controller.speed,
                         show_rate=app.show_rates, clock=app.clock)


class CompareScreen(WatchesRunner, RunKeyActions, Modal[None]):
    """Runs A and B side by side, trained in lockstep by ``runner`` (a pair's runner).

    Args:
        runner: trains the PairConfig of A and B (not started yet; closed on leaving).
        change: what differs, in words ("init → xavier").
        fps: how often to look for a new picture (the app's refresh rate).
        speed: the speed cap to start at (the run's), None for full speed.
        show_rate: show the training rate (off for deterministic pictures).
        clock: monotonic seconds for its controller (a stall is counted on it).
    """

    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings(keys.COMPARE_KEYS))
    KEY_TABLE = keys.COMPARE_KEYS
    """The keys of this screen: its bindings, help, footer and command palette."""

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; background: $background; }
    CompareScreen #compare-title, CompareScreen #compare-verdict,
    CompareScreen #compare-matching { height: auto; padding: 0 1; }
    CompareScreen #compare-status { height: 1; padding: 0 1; }
    CompareScreen #compare-title { text-style: bold; }
    CompareScreen #compare-status { background: $panel; }
    CompareScreen #compare-sides { height: 1fr; }
    CompareScreen .compare-side { width: 1fr; }
    CompareScreen .compare-side > .box { height: 1fr; }
    """

    def __init__(self, runner: Runner, change: str, *, fps: float = 20.0,
                 speed: float | None = None, show_rate: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.runner = runner
        self.change = change
        self.fps = fps
        self.show_rate = show_rate
        self.controller = RunController(runner, autoplay=True, speed=speed,
                                        recover_hint="r restarts", clock=clock)
        # Every number of a pair is drawn with it (text_interval=0), beside the verdict
        # of that very pair: throttled, panel A said 7/8 next to a verdict of 8.
        self.weights = (WeightsPanel(id="weights-a", text_interval=0),
                        WeightsPanel(id="weights-b", text_interval=0))
        self.similarities = (SimilarityPanel(id="similarity-a", text_interval=0),
                             SimilarityPanel(id="similarity-b", text_interval=0))
        self.title_line = Static(id="compare-title")
        self.verdict_line = Static(id="compare-verdict")
        self.matching_line = Static(id="compare-matching")
        self.notice_line = NoticeLine(id="compare-notice")
        self.status_line = Static(id="compare-status")
        self.snapshots: PairSnapshot | None = None
        """The newest pair shown."""

    def compose(self) -> ComposeResult:
        yield self.title_line
        with Horizontal(id="compare-sides"):
            for index, side in enumerate("AB"):
                with Vertical(classes="compare-side"):
                    with Container(classes="box") as box:
                        box.border_title = f"{side} · Weights"
                        yield self.weights[index]
                    with Container(classes="box") as box:
                        box.border_title = f"{side} · Similarity"
                        yield self.similarities[index]
        yield self.verdict_line
        yield self.matching_line
        yield self.notice_line
        yield self.status_line
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title_line.update(Text(title_text(self.change)))
        self.start_watching("compare-poll")

    # -- showing the pair ------------------------------------------------------------------

    def poll(self) -> None:
        """Show the runner's newest picture, if new, and the state of the comparison."""
        if not self.is_attached:
            return
        self.say_runner_state()
        pair = cast(PairSnapshot, self.runner.latest())  # its runner trains a PairConfig
        if self.snapshots is None or pair.version != self.snapshots.version:
            self.snapshots = pair
            self._say(self.controller.observe(pair))
            self.show(pair)
        self.status_line.update(Text(status_text(
            pair, self.controller.state, self.controller.speed, self.show_rate,
            self.controller.stalled_for())))

    def show(self, pair: PairSnapshot) -> None:
        """Draw both runs, the verdict and the matching."""
        for index, snapshot in enumerate(pair.sides):
            self.weights[index].show(snapshot)
            self.similarities[index].show(snapshot)
        self.verdict_line.update(Text(verdict_text(pair)))
        self.matching_line.update(Text(matching_text(pair.matching)))

    # -- keys (keys.COMPARE_KEYS; play, step and speed: RunKeyActions) ---------------------

    def _after_command(self, notice: Notice | None = None) -> None:
        self._say(notice)
        self.poll()

    def action_reset(self) -> None:
        """Restart both runs from step 0 (same settings, same seed)."""
        self.controller.reset(self.runner.config)
        self._after_command(Notice("restarted: A and B from step 0"))

    def action_scroll_features(self, pages: int) -> None:
        """Scroll A's and B's feature columns ``pages`` screens together (left: -1)."""
        said = [panel.scroll_columns(pages) for panel in self.weights]
        self._say(Notice(said[0]))

    def action_help(self) -> None:
        """Show the keys of this screen."""
        sections = keys.help_sections_of(self.app, keys.COMPARE_KEYS, keys.COMPARE_EXTRA_HELP)
        self.app.push_screen(HelpScreen(sections, COMPARE_HELP))

    def action_close(self) -> None:
        """Back to the run: the comparison's training process stops."""
        self.dismiss()
