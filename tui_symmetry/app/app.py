"""The live app: wiring between a runner, the run controller and the main screen.

The app never trains on its own event loop.  A runner (``tui_symmetry.runner``) does;
the app polls ``runner.latest()`` at the chosen frame rate (and at once when the runner
says an answer arrived), hands new snapshots to the screen, and turns keys into
commands:

* :class:`~tui_symmetry.app.controller.RunController` decides play / pause / step /
  speed / reset and what divergence or a dead training process means;
* :class:`~tui_symmetry.app.main_screen.MainScreen` lays out the panels and views;
* :mod:`tui_symmetry.app.keys` is the one table of keys (bindings, help, palette).

Settings requests go through :meth:`SymmetryApp.request_setting`, which validates them
against the Config, then applies them live (learning rate, penalties) or resets the
network (init, architecture, data), and says which in the notice line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.message import Message
from textual.screen import Screen

from tui_symmetry.app import keys
from tui_symmetry.app.commands import SymmetryCommands, open_palette
from tui_symmetry.app.controller import Notice, RunController, Severity
from tui_symmetry.app.controls import (
    NumberInput,
    SettingRequested,
)
from tui_symmetry.app.lecture import ScenePicker
from tui_symmetry.app.main_screen import NUMBERS_INTERVAL, SETTINGS_WIDTH, MainScreen
from tui_symmetry.app.notices import deliver
from tui_symmetry.app.run_keys import RunKeyActions
from tui_symmetry.app.screens import HelpRow, HelpScreen
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
from tui_symmetry.settings import DEFAULT_FPS, PROG, VIEWS, View, command_line

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


class SymmetryApp(RunKeyActions, App[int]):
    """Train a tiny MLP live and watch its hidden units stay alike or split.

    Args:
        config: the run to start with (ignored when ``runner`` is given).
        runner: who trains; default a :class:`~tui_symmetry.runner.ProcessRunner`.
            Tests and screenshots pass a :class:`~tui_symmetry.runner.SyncRunner`.
        fps: screen refreshes per second (1..60).
        autoplay: start training at once.
        speed: cap on the training rate in steps per second (None: full speed).
        show_rates: show steps/s in the status line (off for deterministic pictures).
        numbers_interval: least seconds between two changes of the numbers on screen
            and the loss plot, all from one snapshot (0 in tests).
        clock: monotonic seconds for the run controller and the screen (tests pass a
            fake one).
        scenario: the scene of the lecture to start in (its config is the runner's; its
            caption shows and it pauses itself at its ``pause_at`` step).
        present: start in presentation mode (P / F5).
        save_dir: where saved configs (w), screenshots (F12) and exports (e) go;
            default the directory the app was started in.
        view: the view to open on (main_screen.VIEWS; "all" falls back to "weights"
            on small terminals); None: the scene's view, else "all".
    """

    TITLE = PROG
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    AUTO_FOCUS = None  # keys drive the run until the user tabs into a setting
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {SymmetryCommands}
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    def __init__(
        self,
        config: Config | None = None,
        *,
        runner: Runner | None = None,
        fps: float = DEFAULT_FPS,
        autoplay: bool = True,
        speed: float | None = None,
        show_rates: bool = True,
        numbers_interval: float = NUMBERS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        scenario: Scenario | None = None,
        present: bool = False,
        save_dir: Path | None = None,
        view: View | None = None,
    ) -> None:
        super().__init__()
        if view is None:
            view = "all" if scenario is None else scenario.view  # type: ignore[assignment]
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        if not 1 <= fps <= 60:
            raise ValueError(f"fps must be within 1..60, not {fps}")
        self.fps = fps
        self.show_rates = show_rates
        if runner is None:
            runner = ProcessRunner(
                config or Config(), autoplay=autoplay, speed=speed,
                publish_hz=publish_rate(fps),
            )
        self.runner: Runner = runner
        self.clock = clock
        """Monotonic seconds for the controllers and the screen (tests pass a fake one)."""
        self.controller = RunController(runner, autoplay=autoplay, speed=speed, clock=clock,
                                        scene=scenario)
        self.snapshot: Snapshot = runner.latest()
        """The newest snapshot shown."""
        self._shown_version = -1
        self._exiting = False
        self.timeline = Timeline()
        """The snapshots shown so far (bounded), for ``[`` and ``]``."""
        self._main_screen = MainScreen(runner.config, show_rate=show_rates,
                                       numbers_interval=numbers_interval, clock=clock)
        self._main_screen.present = present
        self._main_screen.on_ready = self.poll_now
        self.save_dir = Path.cwd() if save_dir is None else save_dir
        self._main_screen.set_reactive(MainScreen.view, view)

    # -- wiring --------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return self._main_screen

    @property
    def main_screen(self) -> MainScreen:
        """The screen with the panels (always at the bottom of the stack)."""
        return self._main_screen

    def get_css_variables(self) -> dict[str, str]:
        return {**super().get_css_variables(), "settings-width": str(SETTINGS_WIDTH)}

    def get_driver_class(self) -> type[Driver]:
        return hangup_safe_driver(super().get_driver_class())

    def on_mount(self) -> None:
        # Redraw as soon as the runner has news, not at the next frame.
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
        """Fetch the runner's newest snapshot and show it now, not at the next frame.

        Tests and the screenshot script call it after driving a SyncRunner directly.
        """
        self._poll()

    def _poll(self) -> None:
        if self._exiting or not self._main_screen.ready:
            return  # quitting: a timer tick can still come after the screen has gone
        self.tell(self.controller.check_runner())
        for error in self.runner.take_errors():
            self.tell(Notice(error, "error"))
        snapshot = self.runner.latest()
        if snapshot.version != self._shown_version:
            self._shown_version = snapshot.version
            self.snapshot = snapshot
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

    @on(RunnerAnswered)
    def _runner_answered(self) -> None:
        self._poll()

    def _after_command(self, notice: Notice | None = None, *,
                       sync: Config | None = None) -> None:
        """Say what a command did and show its effect now (``sync``: the run's new
        settings, for the controls).

        A SyncRunner has already done the work, so one poll shows it.  A ProcessRunner
        answers from its child a few ms later and its listener polls again at once.
        Every command returns from the timeline to the live run.
        """
        if sync is not None:
            self.main_screen.sync_settings(sync)
        if not self.timeline.live:
            self.timeline.go_live()
            self.main_screen.show(self.snapshot, force=True)
        self.tell(notice)
        self._poll()

    # -- notices -------------------------------------------------------------------------

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

    # -- settings ------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The configuration being trained right now."""
        return self.runner.config

    def request_setting(self, name: str, value: Any) -> bool:
        """Set one field, live or by a reset (the controller decides); True if it changed."""
        outcome = self.controller.request_setting(name, value)
        if not outcome.changed:
            self.tell(outcome.notice)  # a refusal is said before the controls are reset
            self.main_screen.sync_settings(self.runner.config)
        elif outcome.live:
            self._after_command(sync=self.runner.config)  # an applied change names its step
            if self.controller.live_pending:
                self.tell(outcome.notice)  # the step follows with the snapshot that has it
        else:
            self._after_command(outcome.notice, sync=self.runner.config)
        return outcome.changed

    # -- the lecture -----------------------------------------------------------------------

    @property
    def scene(self) -> Scenario | None:
        """The scene of the lecture on screen (None: no lecture, no caption)."""
        return self.controller.scene

    def open_scene(self, scenario: Scenario) -> None:
        """Show ``scenario``: its config from step 0, its speed, its view, its caption;
        then play."""
        notice = self.controller.open_scene(scenario)
        self.main_screen.open_scene(scenario)
        self._after_command(notice)

    def action_scene(self, direction: int) -> None:
        """Next (``direction`` > 0) or previous scene of the lecture."""
        scenario, notice = self.controller.neighbour_scene(direction)
        if scenario is None:
            self.tell(notice)
        else:
            self.open_scene(scenario)

    def action_pick_scene(self) -> None:
        """Choose a scene from the list of the lecture's scenes."""
        if isinstance(self.screen, ScenePicker):
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self.open_scene(SCENARIOS[name])

        self.push_screen(ScenePicker(self.scene), chosen)

    def action_toggle_present(self) -> None:
        """Presentation mode: no settings or footer; the view and the caption get the room."""
        screen = self.main_screen
        screen.present = not screen.present
        self.tell(Notice("presentation mode: P or F5 leaves it" if screen.present
                         else "presentation mode off"))

    # -- shareable state -------------------------------------------------------------------

    def command_line(self) -> str:
        """The command line that opens the current settings and speed (from step 0)."""
        return command_line(self.runner.config, self.scene, self.controller.speed)

    def action_copy_command(self) -> None:
        """Show the command line of the current state and copy it (OSC 52)."""
        line = self.command_line()
        self.copy_to_clipboard(line)
        self.tell(Notice(f"copied: {line}"))

    def action_save_config(self) -> None:
        """Write the current settings as TOML (``--config FILE`` opens them)."""
        self.tell(save_config(self.save_dir, self.runner.config, self.scene))

    def action_screenshot(self) -> None:
        """Save the screen as SVG, atomically, named after the run, step and view."""
        self.tell(save_screenshot(
            self.save_dir, self.runner.config, self.snapshot.step, self.scene,
            self.main_screen.view, lambda title: self.export_screenshot(title=title)))

    @on(SettingRequested)
    def _setting_requested(self, event: SettingRequested) -> None:
        self.request_setting(event.name, event.value)

    def focus_setting(self, name: str) -> None:
        """Move the keyboard focus to the control of setting ``name``."""
        self.main_screen.focus_setting(name)

    # -- actions -------------------------------------------------------------------------

    def action_reset(self) -> None:
        """Start the same run again: same settings, same seed."""
        self._after_command(self.controller.restart(), sync=self.runner.config)

    def action_new_seed(self) -> None:
        """Start again with the next seed (new data, new initial weights)."""
        self._after_command(self.controller.new_seed(), sync=self.runner.config)

    def action_toggle_order(self) -> None:
        """Similarity matrix in unit order or grouped by similarity."""
        self.main_screen.toggle_order()

    def action_toggle_space(self) -> None:
        """Similarity of the weights, or of what units compute."""
        self.main_screen.toggle_space()

    def action_toggle_log(self) -> None:
        """Loss axis linear or logarithmic."""
        self.main_screen.toggle_log_scale()

    def action_select_unit(self, delta: int) -> None:
        """Move the selected unit; every panel that shows units highlights it."""
        self.main_screen.select_unit(delta)

    def action_permute(self) -> None:
        """Relabel the units (p): the controller pauses, permutes and reports."""
        self._after_command(self.controller.permute())

    def compare_with(self, name: str, value: Any) -> None:
        """Open A (the current settings) and B (``name`` → ``value``) side by side.

        The controller decides whether it can open, and pauses the run (the two would
        share the CPU with it); the compare screen builds its own runner.
        """
        request = self.controller.compare_request(name, value)
        if request.pair is None:
            self.tell(request.refusal)
            return
        if request.paused:
            self._poll()
        # Imported here: the matching needs scipy.optimize, 0.3 s that the app's first
        # frame should not wait for.
        from tui_symmetry.app.compare_screen import open_compare

        self.push_screen(open_compare(self, request))

    def action_timeline(self, delta: int) -> None:
        """``[`` / ``]``: pause and show an earlier / later recorded state."""
        if self.controller.pause_if_playing():
            self._poll()
        shown = self.timeline.move(delta)
        self.main_screen.show(self.snapshot if shown is None else shown, force=True)
        if shown is None and delta > 0:
            self.tell(Notice("timeline: back to the live run"))
        self.main_screen.show_run_status(self.snapshot, self.timeline, self.controller)

    def action_cycle(self, name: str, direction: int) -> None:
        """Next (or previous) choice of a choice setting; resets the network."""
        self.request_setting(name, self.controller.cycled(name, direction))

    def action_nudge(self, name: str, direction: int) -> None:
        """One step up or down for a numeric setting (1-2-5 steps for rates)."""
        value = self.controller.nudge(name, direction)
        if isinstance(value, Notice):
            self.tell(value)
        else:
            self.request_setting(name, value)

    def action_view(self, view: View) -> None:
        """Show all panels (wide terminals; small ones fall back to units) or one view."""
        screen = self.main_screen
        screen.view = view
        if view == "settings":
            screen.focus_settings()

    def action_leave_setting(self) -> None:
        """Esc: leave the setting being edited; what was typed and not applied is dropped."""
        focused = self.focused
        if isinstance(focused, NumberInput) and focused.edited:
            focused.show_value(getattr(self.runner.config, focused.spec.name))
        self.set_focus(None)

    def action_help(self) -> None:
        """Show every key."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.help_sections(), HELP_INTRO))

    def action_export(self) -> None:
        """Write the run as JSON (docs/contracts.md, "Export") into ``save_dir``."""
        self._export()

    @work(thread=True, group="export")  # not exclusive: every press gets its file
    def _export(self) -> None:
        self.tell(export_notice(self.save_dir, self.runner.export, self.scene))

    # -- help and palette ----------------------------------------------------------------

    def _key_name(self, key: str) -> str:
        return self.get_key_display(Binding(key, ""))

    def help_sections(self) -> list[tuple[str, list[HelpRow]]]:
        """The help screen's rows, from the key table (so they cannot drift)."""
        return keys.help_sections(self._key_name)

    def palette_actions(self, table: tuple[keys.Key, ...] = keys.KEYS,
                        ) -> list[tuple[str, str, str]]:
        """(title, action, keys) of every key of ``table``, for the command palette."""
        return keys.palette_actions(self._key_name, table)

    # -- quitting ------------------------------------------------------------------------

    def action_command_palette(self) -> None:
        """Open the command palette (ours runs a hit of the final query on Enter)."""
        open_palette(self)

    async def action_quit(self) -> None:
        """Stop training and leave."""
        self._leave(0)

    def _leave(self, status: int) -> None:
        """The one way out (q, ctrl+c, ctrl+q, SIGTERM, SIGHUP): stop the child, exit.

        Polling stops first so a child killed by the same hangup is not replaced.
        """
        self._exiting = True
        self.runner.set_listener(None)
        self.runner.close()
        self.exit(status)
