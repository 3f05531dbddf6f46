"""The live app: wiring between a runner, the run controller and the main screen.

The app never trains on its own event loop.  A runner (``tui_symmetry.runner``) does;
the app polls ``runner.latest()`` at the chosen frame rate (and at once when the runner
says an answer arrived), hands new snapshots to the screen, and turns keys into
commands:

* :class:`~tui_symmetry.app.controller.RunController` decides play / pause / step /
  speed / reset, settings, scenes and ``p``, and what divergence or a dead training
  process means;
* :class:`~tui_symmetry.app.main_screen.MainScreen` lays out the panels and views;
* :mod:`tui_symmetry.app.keys` is the one table of keys (bindings, help, palette).

The App decides nothing itself: what a key does to the run is the controller's
decision (a setting live or by a reset, ``p``, scenes, whether a comparison opens),
what it does to the picture is the main screen's (the view keys are bound here as
``screen.…`` actions), and the App passes their notices to the notice line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import BindingType
from textual.driver import Driver
from textual.message import Message
from textual.screen import Screen

from tui_symmetry.app import keys
from tui_symmetry.app.commands import SymmetryCommands, open_palette
from tui_symmetry.app.controller import Notice, RunController, Severity
from tui_symmetry.app.controls import SettingRequested
from tui_symmetry.app.experiment_screen import ExperimentKeyActions
from tui_symmetry.app.lecture import ScenePicker
from tui_symmetry.app.main_screen import NUMBERS_INTERVAL, SETTINGS_WIDTH, MainScreen
from tui_symmetry.app.notices import deliver
from tui_symmetry.app.run_keys import RunKeyActions
from tui_symmetry.app.screens import HelpScreen
from tui_symmetry.app.share import export_notice, save_config, save_screenshot
from tui_symmetry.app.terminal import (
    hangup_safe_driver,
    install_hangup_handlers,
    remove_hangup_handlers,
)
from tui_symmetry.app.timeline import Timeline
from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.runner import ProcessRunner, Runner
from tui_symmetry.scenarios import SCENARIOS, Scenario
from tui_symmetry.settings import DEFAULT_FPS, PROG, View, app_view, command_line

HELP_INTRO = (
    "Units that start identical get identical gradients and stay identical, unless "
    "something per-unit (ε, dropout, gradient noise) breaks the tie: watch Similarity. "
    "Init, data and architecture changes reset the network; the learning rate and "
    "regularization apply live. A lecture: PgDn / PgUp walk the scenes, c lists them, "
    "P presents."
)


def publish_rate(fps: float) -> float:
    """How often the training process should send snapshots for a view at ``fps``.

    Twice the frame rate: with equal rates the two clocks beat against each other and
    a fifth of the frames find nothing new (measured 16 of 20 redraws per second).
    """
    return min(2.0 * fps, 60.0)


class RunnerAnswered(Message):
    """Posted from the runner's thread when something new is there to read."""


class SymmetryApp(RunKeyActions, ExperimentKeyActions, App[int]):
    """Train a tiny MLP live and watch its hidden units stay alike or split: wiring only.

    Keys (app/keys.py) become calls on the RunController (what the run does) and the
    MainScreen (what is shown); the runner's news becomes a poll (docs/architecture.md).
    """

    TITLE = PROG
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    AUTO_FOCUS = None  # keys drive the run until the user tabs into a setting
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {SymmetryCommands}
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    def __init__(self, config: Config | None = None, *, runner: Runner | None = None,
                 fps: float = DEFAULT_FPS, autoplay: bool = True,
                 speed: float | None = None, show_rates: bool = True,
                 numbers_interval: float = NUMBERS_INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 scenario: Scenario | None = None, present: bool = False,
                 save_dir: Path | None = None, view: View | None = None) -> None:
        super().__init__()
        view = app_view(view, scenario, fps)  # ValueError for a bad view or fps
        self.fps, self.show_rates, self.clock = fps, show_rates, clock
        if runner is None:
            runner = ProcessRunner(config or Config(), autoplay=autoplay, speed=speed,
                                   publish_hz=publish_rate(fps))
        self.runner: Runner = runner
        self.controller = RunController(runner, autoplay=autoplay, speed=speed, clock=clock,
                                        scene=scenario)
        self.snapshot: Snapshot = runner.latest()
        """The newest snapshot shown."""
        self._shown_version, self._exiting = -1, False
        self.timeline = Timeline()
        self.main_screen = MainScreen(runner.config, show_rate=show_rates,
                                      numbers_interval=numbers_interval, clock=clock)
        """The screen with the panels (always at the bottom of the stack)."""
        self.main_screen.present = present
        self.main_screen.on_ready = self.poll_now
        self.main_screen.on_choose_image = lambda delta: self._after_command(
            self.controller.choose_image(delta, self.snapshot))
        self.save_dir = Path.cwd() if save_dir is None else save_dir
        self.main_screen.set_reactive(MainScreen.view, view)

    # -- wiring --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return self.main_screen

    @property
    def config(self) -> Config:
        """The configuration being trained right now."""
        return self.runner.config

    @property
    def scene(self) -> Scenario | None:
        """The scene of the lecture on screen (None: no lecture, no caption)."""
        return self.controller.scene

    def get_css_variables(self) -> dict[str, str]:
        return {**super().get_css_variables(), "settings-width": str(SETTINGS_WIDTH)}

    def get_driver_class(self) -> type[Driver]:
        return hangup_safe_driver(super().get_driver_class())

    def on_mount(self) -> None:
        self.runner.set_listener(lambda: self.post_message(RunnerAnswered()))
        self.controller.start()
        self.main_screen.show_scene(self.scene)
        install_hangup_handlers(self, self._leave)
        self.poll_now()
        self.set_interval(1.0 / self.fps, self._poll, name="poll")

    def on_unmount(self) -> None:
        remove_hangup_handlers(self)
        self.runner.set_listener(None)
        self.runner.close()

    # -- the refresh loop ----------------------------------------------------------------
    def poll_now(self) -> None:
        """Show the runner's newest snapshot now (tests drive a SyncRunner, then call it)."""
        self._poll()

    @on(RunnerAnswered)
    def _poll(self) -> None:
        if self._exiting or not self.main_screen.ready:
            return  # quitting: a timer tick can still come after the screen has gone
        self.tell(self.controller.check_runner())
        for error in self.runner.take_errors():
            self.tell(Notice(error, "error"))
        snapshot = self.runner.latest()
        if snapshot.version != self._shown_version:
            self._shown_version, self.snapshot = snapshot.version, snapshot
            self.timeline.record(snapshot)
            self.tell(self.controller.observe(snapshot))
            if self.timeline.live:
                self.main_screen.show(snapshot)
        self.main_screen.show_scene_state(self.scene, self.controller.paused_at)
        self.main_screen.show_run_status(self.snapshot, self.timeline, self.controller)
        step = self.controller.continue_permutation()
        if step is not None:
            self.tell(step.notice)
            if step.poll_again:
                self._poll()

    def _after_command(self, notice: Notice | None = None, *,
                       sync: Config | None = None) -> None:
        """Back to the live run, the controls showing ``sync``, say it, show it now."""
        if sync is not None:
            self.main_screen.sync_settings(sync)
        if not self.timeline.live:
            self.timeline.go_live()
            self.main_screen.show(self.snapshot, force=True)
        self.tell(notice)
        self._poll()

    def tell(self, notice: Notice | None) -> None:
        """Show ``notice`` on the notice line (plain text: no markup); None says nothing."""
        if notice is not None:
            self.notify(notice.text, severity=notice.severity, markup=False)

    def notify(self, message: str, *, title: str = "",
               severity: Severity = "information",  # type: ignore[override]
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification (the app's, its widgets', Textual's) goes to the notice line."""
        if not deliver(self, self.main_screen, message, title, severity, timeout, markup):
            super().notify(message, title=title, severity=severity, timeout=timeout,
                           markup=markup)

    # -- run keys (play, step and speed: RunKeyActions) ----------------------------------
    def action_reset(self) -> None:
        self._after_command(self.controller.restart(), sync=self.runner.config)

    def action_new_seed(self) -> None:
        self._after_command(self.controller.new_seed(), sync=self.runner.config)

    def action_permute(self) -> None:
        self._after_command(self.controller.permute())

    def action_timeline(self, delta: int) -> None:
        if self.controller.pause_if_playing():
            self._poll()
        shown = self.timeline.move(delta)
        self.main_screen.show(self.snapshot if shown is None else shown, force=True)
        if shown is None and delta > 0:
            self.tell(Notice("timeline: back to the live run"))
        self.main_screen.show_run_status(self.snapshot, self.timeline, self.controller)

    @work(thread=True, group="export")  # not exclusive: every press gets its file
    def action_export(self) -> None:
        self.tell(export_notice(self.save_dir, self.runner.export, self.scene))

    # -- settings ------------------------------------------------------------------------
    @on(SettingRequested)
    def _setting_requested(self, event: SettingRequested) -> None:
        self.request_setting(event.name, event.value)

    def request_setting(self, name: str, value: Any) -> bool:
        """Set one field, live or by a reset (the controller decides); True if it changed."""
        outcome = self.controller.request_setting(name, value)
        if not outcome.changed:
            self.tell(outcome.notice)  # a refusal is said before the controls are reset
            self.main_screen.sync_settings(self.runner.config)
            return False
        self._after_command(None if outcome.live else outcome.notice, sync=self.runner.config)
        if outcome.live and self.controller.live_pending:  # applied at once: said by the poll
            self.tell(outcome.notice)  # else its step comes with the snapshot that has it
        return True

    def action_cycle(self, name: str, direction: int) -> None:
        self.request_setting(name, self.controller.cycled(name, direction))

    def action_nudge(self, name: str, direction: int) -> None:
        value = self.controller.nudge(name, direction)
        if isinstance(value, Notice):
            self.tell(value)
        else:
            self.request_setting(name, value)

    def action_leave_setting(self) -> None:
        self.main_screen.leave_setting(self.focused, self.runner.config)
        self.set_focus(None)

    def compare_with(self, name: str, value: Any) -> None:
        """Open A (the current settings) and B (``name`` → ``value``) side by side."""
        request = self.controller.compare_request(name, value)
        if request.pair is None:
            self.tell(request.refusal)
            return
        if request.paused:
            self._poll()
        # Imported here: the matching's scipy (0.3 s) must not delay the first frame.
        from tui_symmetry.app.compare_screen import open_compare

        self.push_screen(open_compare(self, request))

    # -- lecture and sharing -------------------------------------------------------------
    def open_scene(self, scenario: Scenario) -> None:
        """Show ``scenario`` from step 0, in its view, with its caption; then play."""
        notice = self.controller.open_scene(scenario)
        self.main_screen.open_scene(scenario)
        self._after_command(notice)

    def action_scene(self, direction: int) -> None:
        scenario, notice = self.controller.neighbour_scene(direction)
        if scenario is None:
            self.tell(notice)
        else:
            self.open_scene(scenario)

    def action_pick_scene(self) -> None:
        if not isinstance(self.screen, ScenePicker):
            self.push_screen(ScenePicker(self.scene), lambda name: None if name is None
                             else self.open_scene(SCENARIOS[name]))

    def command_line(self) -> str:
        """The command line that opens the current settings and speed (from step 0)."""
        return command_line(self.runner.config, self.scene, self.controller.speed)

    def action_copy_command(self) -> None:
        line = self.command_line()
        self.copy_to_clipboard(line)
        self.tell(Notice(f"copied: {line}"))

    def action_save_config(self) -> None:
        self.tell(save_config(self.save_dir, self.runner.config, self.scene))

    def action_screenshot(self) -> None:
        self.tell(save_screenshot(self.save_dir, self.runner.config, self.snapshot.step,
                                  self.scene, self.main_screen.view,
                                  lambda title: self.export_screenshot(title=title)))

    # -- help, palette, quitting ---------------------------------------------------------
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(keys.help_sections_of(self), HELP_INTRO))

    def action_command_palette(self) -> None:
        open_palette(self)

    async def action_quit(self) -> None:
        self._leave(0)

    def _leave(self, status: int) -> None:
        """The one way out (q, ctrl+c, ctrl+q, signals): polling stops, the child stops."""
        self._exiting = True
        self.runner.set_listener(None)
        self.runner.close()
        self.exit(status)
