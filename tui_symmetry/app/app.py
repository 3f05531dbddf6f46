"""The live app: weights, similarity and loss of a training MLP, and its settings.

The app never trains on its own event loop.  A runner (``tui_symmetry.runner``) does,
and the app polls ``runner.latest()`` at the chosen frame rate, handing a snapshot to
the panels only when its version changed; each panel then repaints only the lines
that changed.  Settings requests go through :meth:`SymmetryApp.request_setting`, which
validates them against the Config, then either applies them live (learning rate,
penalties) or resets the network (init, architecture, data), and says which.

Layouts: at 100×30 and up everything is on one screen (keys 1/2/3 zoom into one view,
0 goes back).  Smaller terminals show one view at a time, switched with 1/2/3.  Below
:data:`MIN_SIZE` a message asks for a bigger terminal.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Footer, Static

from tui_symmetry import export
from tui_symmetry.app.commands import SymmetryCommands, open_palette
from tui_symmetry.app.controls import (
    NumberInput,
    SettingRequested,
    SettingsPanel,
    format_value,
    nudge,
    short_name,
)
from tui_symmetry.app.screens import HelpRow, HelpScreen
from tui_symmetry.app.widgets import LossPanel, SimilarityPanel, WeightsPanel
from tui_symmetry.core.config import FIELD_BY_NAME, MAX_SEED, Config, ConfigError
from tui_symmetry.core.trainer import Snapshot
from tui_symmetry.options import DEFAULT_FPS
from tui_symmetry.runner import ProcessRunner, Runner

MIN_SIZE = (60, 20)
"""Below this (columns, rows) the app asks for a bigger terminal."""

WIDE_SIZE = (100, 30)
"""From this size up every panel is on screen at once."""

VIEWS = ("all", "units", "loss", "settings")
VIEW_TITLES = {"all": "All", "units": "Units", "loss": "Loss", "settings": "Settings"}
VIEW_KEYS = {"all": "0", "units": "1", "loss": "2", "settings": "3"}

SETTINGS_WIDTH = 38
"""Columns of the settings column beside the panels."""

MAX_RESTARTS, RESTART_WINDOW_S = 3, 10.0
"""A training process that dies this often within the window is not replaced again."""

LOSS_PLOT_INTERVAL = 0.5
"""Seconds between loss-plot redraws while training: a plot is many cells to resend."""

def publish_rate(fps: float) -> float:
    """How often the training process should send snapshots for a view at ``fps``.

    Twice the frame rate: with equal rates the two clocks beat against each other and
    a fifth of the frames find nothing new (measured 16 of 20 redraws per second).
    """
    return min(2.0 * fps, 60.0)


def format_status(
    snapshot: Snapshot, state: str, show_rate: bool = True, width: int | None = None
) -> str:
    """The status line: ``step 12,400 · loss 0.2615 · symmetry 1.000 · distinct 1/8 ·
    9,800 steps/s · running``.

    The rate is ``—`` when unknown or when ``show_rate`` is False (deterministic
    screenshots).  When the line is wider than ``width`` the rate goes first, then
    "symmetry" shrinks to "sym", then "distinct" goes, so the state at the end
    (running, paused, diverged) stays on screen.
    """
    loss = snapshot.loss
    if not math.isfinite(loss):
        loss_text = "inf" if loss > 0 else "nan"
    elif loss != 0 and abs(loss) < 1e-3:
        loss_text = f"{loss:.2e}"
    else:
        loss_text = f"{loss:.4f}"
    rate = snapshot.steps_per_s
    if not show_rate or rate <= 0:
        rate_text = "—"
    elif rate >= 1000:
        rate_text = f"{round(rate, -2):,.0f}"  # hundreds: the last digits are only noise
    else:
        rate_text = f"{rate:,.0f}"
    head = f"step {snapshot.step:,} · loss {loss_text}"
    symmetry = f"{snapshot.symmetry_index:.3f}"
    distinct = f"distinct {snapshot.distinct_units}/{snapshot.config.hidden}"
    candidates = (
        f"{head} · symmetry {symmetry} · {distinct} · {rate_text} steps/s · {state}",
        f"{head} · symmetry {symmetry} · {distinct} · {state}",
        f"{head} · sym {symmetry} · {distinct} · {state}",
        f"{head} · sym {symmetry} · {state}",
    )
    for text in candidates:
        if width is None or len(text) <= width:
            return text
    return candidates[-1]


class RunnerAnswered(Message):
    """Posted from the runner's reader thread when the child has answered a command."""


class SymmetryApp(App[int]):
    """Train a tiny MLP live and watch its hidden units stay alike or split.

    Args:
        config: the run to start with.
        runner: who trains; default a :class:`~tui_symmetry.runner.ProcessRunner`.
            Tests and screenshots pass a :class:`~tui_symmetry.runner.SyncRunner`.
        fps: screen refreshes per second (1..60).
        autoplay: start training at once (only used when the app makes the runner).
        show_rates: show steps/s in the status line (off for deterministic pictures).
        loss_interval: least seconds between loss-plot redraws (0 in tests).
    """

    TITLE = "tui-symmetry"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    AUTO_FOCUS = None  # keys drive the run until the user tabs into a setting
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {SymmetryCommands}

    # Footer descriptions are short so the keys that matter fit in 80 columns; the
    # tooltip is the full sentence used by the help screen and the command palette.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_run", "Play/Pause", id="play-pause", key_display="space",
                tooltip="Play or pause training"),
        Binding("s,full_stop", "step(1)", "Step", id="step",
                tooltip="Pause and run a single step"),
        Binding("S,n", "step(100)", "×100", id="step-100", key_display="S",
                tooltip="Pause and run 100 steps"),
        Binding("r", "reset", "Reset", id="reset",
                tooltip="Reset the network: same settings, same seed"),
        Binding("R,N", "new_seed", "New seed", id="new-seed", key_display="R",
                tooltip="Reset with the next seed: new data and initial weights"),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?",
                tooltip="Show every key"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Stop training and quit"),
        Binding("e", "export", "Export", id="export",
                tooltip="Export the run as JSON (atomic write, file name says what it is)"),
        Binding("o", "toggle_order", "Order", id="similarity-order",
                tooltip="Similarity matrix: unit order or similarity order"),
        Binding("l", "toggle_log", "Log", id="log-scale",
                tooltip="Loss plot: linear or log scale"),
        Binding("up,k", "select_unit(-1)", "Previous unit", id="unit-previous", show=False,
                tooltip="Select the previous unit in the Weights panel"),
        Binding("down,j", "select_unit(1)", "Next unit", id="unit-next", show=False,
                tooltip="Select the next unit in the Weights panel"),
        Binding("i", "cycle('init', 1)", "Next init", id="cycle-init", show=False,
                tooltip="Next initialization scheme (resets)"),
        Binding("I", "cycle('init', -1)", "Previous init", id="cycle-init-back", show=False,
                tooltip="Previous initialization scheme (resets)"),
        Binding("d", "cycle('dataset', 1)", "Next dataset", id="cycle-dataset", show=False,
                tooltip="Next dataset (resets)"),
        Binding("a", "cycle('activation', 1)", "Next activation", id="cycle-activation",
                show=False, tooltip="Next activation function (resets)"),
        Binding("m", "cycle('optimizer', 1)", "Next optimizer", id="cycle-optimizer",
                show=False, tooltip="Next optimizer (resets)"),
        Binding("plus,equals_sign", "nudge('lr', 1)", "lr up", id="lr-up", show=False,
                key_display="+", tooltip="Raise the learning rate one step (live)"),
        Binding("minus,underscore", "nudge('lr', -1)", "lr down", id="lr-down", show=False,
                key_display="-", tooltip="Lower the learning rate one step (live)"),
        Binding("0", "view('all')", "All", id="view-all", show=False,
                tooltip="Every panel at once (terminals of 100×30 and up)"),
        Binding("1", "view('units')", "Units", id="view-units", show=False,
                tooltip="Weights and similarity"),
        Binding("2", "view('loss')", "Loss", id="view-loss", show=False,
                tooltip="Loss and symmetry over steps"),
        Binding("3", "view('settings')", "Settings", id="view-settings", show=False,
                tooltip="The settings, focused"),
        Binding("escape", "leave_setting", "Leave", id="leave-setting", show=False,
                tooltip="Leave the setting being edited (keys drive the run again)"),
    ]

    def __init__(
        self,
        config: Config | None = None,
        *,
        runner: Runner | None = None,
        fps: float = DEFAULT_FPS,
        autoplay: bool = True,
        show_rates: bool = True,
        loss_interval: float = LOSS_PLOT_INTERVAL,
    ) -> None:
        super().__init__()
        if not 1 <= fps <= 60:
            raise ValueError(f"fps must be within 1..60, not {fps}")
        self.fps = fps
        self.show_rates = show_rates
        self.loss_interval = loss_interval
        if runner is None:
            runner = ProcessRunner(
                config or Config(), autoplay=autoplay, publish_hz=publish_rate(fps)
            )
        if isinstance(runner, ProcessRunner):
            # Redraw as soon as the child answers a key, not at the next frame.
            runner.on_answer = lambda: self.post_message(RunnerAnswered())
        self.runner: Runner = runner
        self.view = "all"
        self.shown_view = "all"
        self.too_small = False
        self._layout_size: Size | None = None
        self.snapshot: Snapshot = runner.latest()
        self._shown_version = -1
        self._status_text = ""
        self._divergence_seen = False
        self._resume_after_reset = False
        self._playing = runner.running  # what the user asked for (divergence aside)
        self._restarts: list[float] = []  # when dead training processes were replaced
        self._halted = False  # replaced too often: wait for the user

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.runner.config
        self.weights_panel = WeightsPanel(id="weights")
        self.similarity_panel = SimilarityPanel(id="similarity")
        self.loss_panel = LossPanel(id="loss", min_interval=self.loss_interval)
        self.settings_panels = [
            SettingsPanel("init", config, id="init-settings"),
            SettingsPanel("regularization", config, id="regularization-settings"),
            SettingsPanel("training", config, id="training-settings"),
        ]
        self.status_bar = Static(id="status")
        self.view_bar = Static(id="viewbar")
        self.too_small_message = Static(id="too-small")
        self.footer = Footer(compact=True)
        with Horizontal(id="main") as self.main_area:
            with Vertical(id="views") as self.views_area:
                with Horizontal(id="units-view") as self.units_area:
                    with Container(id="weights-box", classes="box") as box:
                        box.border_title = "Weights"
                        yield self.weights_panel
                    with Container(id="similarity-box", classes="box") as box:
                        box.border_title = "Similarity"
                        yield self.similarity_panel
                with Container(id="loss-box", classes="box") as self.loss_area:
                    self.loss_area.border_title = "Loss"
                    yield self.loss_panel
            with VerticalScroll(id="settings", can_focus=False) as self.settings_area:
                with Vertical(id="settings-column") as self.settings_column:
                    yield from self.settings_panels[:2]
                yield self.settings_panels[2]
        yield self.too_small_message
        yield self.view_bar
        yield self.status_bar
        yield self.footer

    def on_mount(self) -> None:
        self.runner.start()
        self._apply_layout()  # also draws the first snapshot
        self.set_interval(1.0 / self.fps, self._poll, name="poll")

    def on_unmount(self) -> None:
        self.runner.close()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size)

    @property
    def is_wide(self) -> bool:
        width, height = self._layout_size or self.size
        return width >= WIDE_SIZE[0] and height >= WIDE_SIZE[1]

    @property
    def effective_view(self) -> str:
        """The view on screen: ``all`` only fits a wide terminal, else the units view."""
        if self.view == "all" and not self.is_wide:
            return "units"
        return self.view

    def _apply_layout(self, size: Size | None = None) -> None:
        """Show the views that fit ``size`` (default: the current size).

        This sets ``display`` and a few inline styles on half a dozen containers rather
        than toggling classes on the Screen: a Screen class change makes Textual match
        the stylesheet against every widget again (~300 of them: each Select is
        several), which took a view switch from a few ms to ~300 ms.
        """
        if size is not None:
            self._layout_size = size
        if not self.screen_stack:
            return
        width, height = self._layout_size or self.size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.too_small = too_small
        if too_small:
            self.too_small_message.update(
                Text(f"enlarge the terminal to at least {MIN_SIZE[0]}×{MIN_SIZE[1]}\n"
                     f"(now {width}×{height})")
            )
        self.too_small_message.display = too_small
        self.footer.display = not too_small
        view = self.effective_view
        self.shown_view = view
        self.main_area.display = not too_small
        self.view_bar.display = view != "all" and not too_small
        self.views_area.display = view != "settings"
        self.units_area.display = view in ("all", "units")
        self.loss_area.display = view in ("all", "loss")
        settings = self.settings_area
        settings.display = view in ("all", "settings")
        # All panels: a column on the right.  Settings view: two columns side by side.
        single = view == "settings"
        settings.styles.width = "1fr" if single else SETTINGS_WIDTH
        settings.styles.layout = "horizontal" if single else "vertical"
        self.settings_column.styles.width = "1fr" if single else "100%"
        self.settings_panels[2].styles.width = "1fr" if single else "100%"
        self._update_viewbar()
        self._show(self.snapshot, force=True)
        self._update_status()  # the width decides how much of the line fits

    def _update_viewbar(self) -> None:
        view = self.effective_view
        parts = []
        names = VIEWS if self.is_wide else VIEWS[1:]
        for name in names:
            label = f" {VIEW_KEYS[name]} {VIEW_TITLES[name]} "
            parts.append((label, "reverse bold") if name == view else (label, ""))
            parts.append(("  ", ""))
        self.view_bar.update(Text.assemble(*parts), layout=False)

    # -- the refresh loop --------------------------------------------------------------------

    def poll_now(self) -> None:
        """Fetch the runner's newest snapshot and show it now, not at the next frame.

        Tests and the screenshot script call it after driving a SyncRunner directly.
        """
        self._poll()

    def _poll(self) -> None:
        runner = self.runner
        if runner.failure is not None:
            self._recover()
        for error in runner.take_errors():
            self.notify(error, severity="error")
        self._show(runner.latest())

    def _recover(self) -> None:
        """The training process died: say so and start a fresh one, unless it keeps dying."""
        runner = self.runner
        now = time.monotonic()
        recent = [t for t in self._restarts if now - t < RESTART_WINDOW_S]
        if len(recent) >= MAX_RESTARTS:
            if not self._halted:
                self._halted = True
                self.notify(f"{runner.failure}; it keeps failing, so it stays stopped. "
                            "Change a setting or press r to try again.",
                            severity="error", timeout=15)
            return
        self._restarts = [*recent, now]
        self.notify(f"{runner.failure}; started a fresh one from step 0",
                    severity="error", timeout=8)
        runner.restart()
        self._divergence_seen = False

    def _after_command(self) -> None:
        """Show what a command changed now; the runner's answer follows by itself.

        A SyncRunner has already done the work, so one poll shows it.  A ProcessRunner
        answers from its child a few ms later and posts RunnerAnswered, which polls
        again at once instead of waiting for the next frame.
        """
        self._poll()
        self._update_status()

    @on(RunnerAnswered)
    def _runner_answered(self) -> None:
        self._poll()

    def _show(self, snapshot: Snapshot, force: bool = False) -> None:
        """Hand ``snapshot`` to the visible panels when it is new (or when forced)."""
        if snapshot.version == self._shown_version and not force:
            return
        self.snapshot = snapshot
        self._shown_version = snapshot.version
        if snapshot.diverged and not self._divergence_seen:
            self._divergence_seen = True
            # After r, carry on the way the user left it: playing, or stepping by hand.
            self._resume_after_reset = self._playing
            self.runner.pause()
            self.notify(
                f"diverged at step {snapshot.step:,}; showing the last finite state. "
                "Press r to reset (- lowers the learning rate first).",
                severity="error",
                timeout=8,
            )
        if self.too_small:
            self._update_status()
            return
        view = self.effective_view
        if view in ("all", "units"):
            self.weights_panel.show(snapshot)
            self.similarity_panel.show(snapshot)
        if view in ("all", "loss"):
            self.loss_panel.show(snapshot)
        self._update_status()

    def _update_status(self) -> None:
        snapshot = self.snapshot
        if snapshot.diverged:
            state = "diverged — press r to reset"
        elif self.runner.running:
            state = "running"
        else:
            state = "paused"
        width = (self._layout_size or self.size).width - 2  # the bar's padding
        text = format_status(snapshot, state, self.show_rates, width)
        if text != self._status_text:  # unchanged text: no repaint, no bytes sent
            self._status_text = text
            status = self.status_bar
            # layout=False: the bar is one fixed line.  A layout pass over the whole
            # screen on every frame cost ~25 ms of the UI's time at 120×40.
            status.update(text, layout=False)
            status.set_class(snapshot.diverged, "-diverged")

    # -- settings ----------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The configuration being trained right now."""
        return self.runner.config

    def request_setting(self, name: str, value: Any) -> bool:
        """Set one field: validated, then applied live or by a reset; True if it changed.

        A bad value gives a one-line error notification and changes nothing.
        """
        spec = FIELD_BY_NAME[name]
        old = self.runner.config
        try:
            new = old.replace(**{name: value})
        except ConfigError as error:
            self.notify(str(error), severity="error", title="not applied")
            self._sync_controls()
            return False
        shown = format_value(getattr(new, name))
        if getattr(new, name) == getattr(old, name):
            self._sync_controls()
            return False
        if spec.live:
            self.runner.apply_live(**{name: getattr(new, name)})
            self.notify(f"{short_name(name)} → {shown} (live, at step {self.snapshot.step:,})")
            self._sync_controls()
            self._after_command()
        else:
            self._reset(new, f"reset: {short_name(name)} → {shown}")
        return True

    def _reset(self, config: Config, message: str) -> None:
        if self._halted:  # the user asks for another try after repeated failures
            self._halted = False
            self._restarts = []
            self.runner.restart()
        self.runner.reset(config)
        if self._resume_after_reset and not self.runner.running:
            self.runner.play()
        self._divergence_seen = False
        self._resume_after_reset = False
        self._sync_controls()
        self.notify(message)
        self._after_command()

    def _sync_controls(self) -> None:
        config = self.runner.config
        for panel in self.settings_panels:
            panel.sync(config)

    @on(SettingRequested)
    def _setting_requested(self, event: SettingRequested) -> None:
        self.request_setting(event.name, event.value)

    def focus_setting(self, name: str) -> None:
        """Move the keyboard focus to the control of setting ``name``."""
        if self.effective_view not in ("all", "settings"):
            self.action_view("settings")
        control = self.screen_stack[0].query_one(f"#setting-{name}")
        self.call_after_refresh(control.focus)

    # -- actions -----------------------------------------------------------------------------

    def action_toggle_run(self) -> None:
        """Play or pause training."""
        runner = self.runner
        if self.snapshot.diverged:
            self.notify("diverged — press r to reset", severity="warning")
            return
        if runner.running:
            runner.pause()
        else:
            runner.play()
        self._playing = runner.running
        self._after_command()

    def action_step(self, n: int) -> None:
        """Pause, then run exactly ``n`` steps."""
        if self.snapshot.diverged:
            self.notify("diverged — press r to reset", severity="warning")
            return
        if self.runner.running:
            self.runner.pause()
        self._playing = False
        self.runner.step(n)
        self._after_command()

    def action_reset(self) -> None:
        """Start the same run again: same settings, same seed."""
        self._reset(self.runner.config, f"reset: same settings, seed {self.runner.config.seed}")

    def action_new_seed(self) -> None:
        """Start again with the next seed (new data, new initial weights)."""
        config = self.runner.config
        seed = (config.seed + 1) % (MAX_SEED + 1)
        self._reset(config.replace(seed=seed), f"reset: seed → {seed}")

    def action_toggle_order(self) -> None:
        """Similarity matrix in unit order or grouped by similarity."""
        panel = self.similarity_panel
        panel.toggle_order()
        panel.show(self.snapshot)

    def action_toggle_log(self) -> None:
        """Loss axis linear or logarithmic."""
        panel = self.loss_panel
        panel.toggle_log_scale()
        panel.show(self.snapshot)

    def action_select_unit(self, delta: int) -> None:
        """Move the weights panel's selected unit."""
        self.weights_panel.select_unit(delta)

    def action_cycle(self, name: str, direction: int) -> None:
        """Next (or previous) choice of a choice setting; resets the network."""
        spec = FIELD_BY_NAME[name]
        self.request_setting(name, nudge(spec, getattr(self.runner.config, name), direction))

    def action_nudge(self, name: str, direction: int) -> None:
        """One step up or down for a numeric setting (1-2-5 steps for rates)."""
        spec = FIELD_BY_NAME[name]
        current = getattr(self.runner.config, name)
        new = nudge(spec, current, direction)
        if new == current:
            edge = "highest" if direction > 0 else "lowest"
            self.notify(f"{short_name(name)} is at its {edge} step: {format_value(current)}",
                        severity="warning")
            return
        self.request_setting(name, new)

    def action_view(self, view: str) -> None:
        """Show all panels (wide terminals; small ones fall back to units) or one view."""
        self.view = view
        focused = self.focused
        self._apply_layout()
        if view == "settings" and (focused is None or not focused.display):
            first = self.settings_panels[0].controls[0]
            self.call_after_refresh(first.focus)

    def action_leave_setting(self) -> None:
        """Take the focus off the settings so keys control the run again."""
        focused = self.focused
        self.set_focus(None)
        if isinstance(focused, NumberInput) and focused.edited:
            self.request_setting(focused.spec.name, focused.value)

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.help_sections(), HELP_INTRO))

    def action_export(self) -> None:
        """Write the run as JSON (docs/contracts.md, "Export") next to where the app was started."""
        self._export()

    @work(thread=True, group="export")  # not exclusive: every press gets its file
    def _export(self) -> None:
        try:
            document = self.runner.export()
            config = Config.from_dict(document["config"])
            path = Path(export.default_export_name(config, int(document["step"]))).resolve()
            export.write_json_atomic(path, document)
        except Exception as error:  # report, never crash: the run goes on
            self.call_from_thread(
                self.notify, f"export failed: {error}", severity="error", title="export"
            )
            return
        self.call_from_thread(self.notify, f"exported {path}", title="export")

    # -- help and palette --------------------------------------------------------------------

    def _key_text(self, binding: Binding) -> str:
        keys = [self.get_key_display(Binding(key, binding.action))
                for key in binding.key.split(",")]
        return " / ".join(keys)

    def help_sections(self) -> list[tuple[str, list[HelpRow]]]:
        """The help screen's rows, from the bindings themselves (so they cannot drift)."""
        run, view, settings = [], [], []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            row = (self._key_text(binding), binding.tooltip or binding.description)
            if binding.action.startswith(("cycle", "nudge", "leave")):
                settings.append(row)
            elif binding.action.startswith(("view", "select_unit", "toggle_order",
                                            "toggle_log")):
                view.append(row)
            else:
                run.append(row)
        run.append(("ctrl+p", "Command palette: every action and setting by name"))
        settings[:0] = [
            ("tab / shift+tab", "Move between settings (3 shows them on small screens)"),
            ("enter", "Apply the typed value / open a list"),
            ("↑ / ↓", "In a number box: raise / lower that setting one step"),
        ]
        return [("Run", run), ("View", view), ("Settings", settings)]

    def action_command_palette(self) -> None:
        """Open the command palette (ours runs a hit of the final query on Enter)."""
        open_palette(self)

    def palette_actions(self) -> list[tuple[str, str, str]]:
        """(title, action, keys) of every bound action, for the command palette."""
        actions = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            actions.append(
                (binding.tooltip or binding.description, binding.action, self._key_text(binding))
            )
        return actions

    # -- quitting ------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Stop training and leave."""
        self.runner.close()
        self.exit(0)


HELP_INTRO = (
    "Units that start identical get identical gradients and stay identical, unless "
    "something per-unit (ε, dropout, gradient noise) breaks the tie: watch Similarity. "
    "Init, data and architecture changes reset the network; the learning rate and "
    "regularization apply live."
)
