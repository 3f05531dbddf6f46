"""RunController: what the user wants the run to do, in one plain object.

It holds the only copy of the playing state (runners execute play / pause, they do not
remember intent), the speed cap, and what happens around divergence and a dead
training process.  No Textual here: the app asks it what to do and shows the
:class:`Notice` it returns, and tests drive it directly in milliseconds with a fake
runner and a fake clock.

States:

``running`` / ``paused``
    what the user asked for with space (stepping pauses).
``diverged``
    the run blew up; the runner stopped by itself.  Play and step are refused until a
    reset, which carries on the way the user left it (playing, or stepping by hand).
``halted``
    the training process died too often within :data:`RESTART_WINDOW_S`; it is not
    replaced again until the user resets.
``stalled``
    the user wants training to run but no new step has come for longer than
    :data:`STALL_SECONDS` past the speed cap's own interval: the training process is
    stopped (SIGSTOP), starved of CPU, or busy with something long.  It is running
    again as soon as a new step arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tui_symmetry.app.values import format_value, nudge, short_name
from tui_symmetry.core.config import FIELD_BY_NAME, MAX_SEED, Config, ConfigError
from tui_symmetry.core.data import CSV, default_samples
from tui_symmetry.core.pictures import filters_of
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.experiments.lockstep import PairConfig, PairSnapshot
from tui_symmetry.experiments.registry import ExperimentJob
from tui_symmetry.runner.protocol import Runner
from tui_symmetry.scenarios import Scenario, neighbour, scene_label
from tui_symmetry.settings import SPEEDS, format_speed

if TYPE_CHECKING:
    from tui_symmetry.app.permutation import Permutation, PermutationStep

MAX_RESTARTS = 3
RESTART_WINDOW_S = 10.0
"""A training process that dies :data:`MAX_RESTARTS` times within this many seconds is
not replaced again until the user resets."""

STALL_SECONDS = 1.0
"""Playing, no new step for this long (beyond the interval a speed cap sets) is a stall."""

RunState = Literal["running", "paused", "diverged", "halted", "stalled"]
Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """One line for the user: what just happened, or why a key was refused."""

    text: str
    severity: Severity = "information"


@dataclass(frozen=True)
class SettingOutcome:
    """What asking for one setting came to: whether the run changed, and how to say it.

    ``live``: applied to the running network; its notice is said only if the snapshot
    that names the step it applied at has not come yet (:attr:`RunController.live_pending`).
    """

    changed: bool
    notice: Notice | None
    live: bool = False


@dataclass(frozen=True)
class CompareRequest:
    """Whether a comparison can open: its pair and what differs, or why not.

    ``paused``: the run was playing and has been paused for it (the two would share
    the CPU with it), so there is a state to show before the comparison opens.
    """

    pair: PairConfig | None
    change: str = ""
    refusal: Notice | None = None
    paused: bool = False


@dataclass(frozen=True)
class ExperimentRequest:
    """An experiment to open on the run's settings; ``paused``: as CompareRequest's."""

    job: ExperimentJob
    paused: bool = False


def next_speed(speed: float | None, direction: int) -> float | None:
    """One step along :data:`~tui_symmetry.settings.SPEEDS` (None, full speed, is the top).

    A cap between two steps (``--speed 50``) moves to the neighbouring step in that
    direction; the ends stay where they are.
    """
    ladder = SPEEDS
    if speed is None:
        index = len(ladder) - 1
        return ladder[max(0, index - 1)] if direction < 0 else None
    capped = [s for s in ladder if s is not None]
    if direction > 0:
        higher = [s for s in capped if s > speed]
        return higher[0] if higher else None
    lower = [s for s in capped if s < speed]
    return lower[-1] if lower else capped[0]


class RunController:
    """Play / pause / step / speed / reset / divergence / restart, decided in one place.

    Args:
        runner: who trains; the controller sends it every play, pause and speed change.
        autoplay: start playing.
        speed: the speed cap in steps per second (None: full speed).
        clock: seconds, monotonic; injected so the restart window is testable.
        recover_hint: what the divergence notice offers, in the keys of the screen.
        scene: the scene of the lecture the run is (it pauses itself at its point).
        finish_at: the step at which the run is done for good (an experiment's runs
            train that long): it holds there, and play is refused after it.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        autoplay: bool = True,
        speed: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        recover_hint: str = "- lowers lr, r resets",
        scene: Scenario | None = None,
        finish_at: int | None = None,
    ) -> None:
        self.runner = runner
        self.recover_hint = recover_hint
        self._playing = autoplay
        self._speed = speed
        self._clock = clock
        self._diverged = False
        self._resume_after_reset = False
        self._halted = False
        self._restarts: list[float] = []  # when dead training processes were replaced
        self._pause_at: int | None = None
        self._pause_armed = False
        self.paused_at: int | None = None
        """The step where the run last paused itself (None once it plays or resets)."""
        self._step = 0  # of the last snapshot observed
        self._progress_at = clock()  # when a new step last came (or training was asked for)
        # A live change sent and not yet seen in a snapshot: its words, the config that
        # has it and the step on screen when it was sent (see expect_live).
        self._live: tuple[str, Config, int] | None = None
        # Imported here: permutation.py builds this module's Notices.
        from tui_symmetry.app.permutation import Permutation

        self._permutation: Permutation = Permutation()
        self.image_index = 0
        """The training image the filters view pictures (the runner keeps it too)."""
        self.scene = scene
        """The scene of the lecture on screen (None: no lecture, no caption)."""
        self.finish_at = finish_at
        if scene is not None:
            self.set_pause_at(scene.pause_at)
        elif finish_at is not None:
            self.set_pause_at(finish_at)

    # -- state ---------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """True while the user wants training to run (and it can)."""
        return self._playing

    @property
    def speed(self) -> float | None:
        """The speed cap in steps per second; None is full speed."""
        return self._speed

    @property
    def pause_at(self) -> int | None:
        """The step at which the run pauses itself (a scene's point), None: never."""
        return self._pause_at

    def set_pause_at(self, step: int | None) -> None:
        """Pause by itself once at ``step`` (again after every reset); None: never."""
        self._pause_at = step
        self._pause_armed = step is not None
        if self._playing:
            self.runner.play(until=self._hold_at())

    def _hold_at(self) -> int | None:
        """The step the runner must not train past on its own: the armed pause point."""
        return self._pause_at if self._pause_armed else None

    @property
    def state(self) -> RunState:
        if self._halted:
            return "halted"
        if self._diverged:
            return "diverged"
        if not self._playing:
            return "paused"
        return "running" if self.stalled_for() is None else "stalled"

    def stalled_for(self) -> float | None:
        """Seconds without a new step while training should run, once that is a stall.

        None while steps come, and whenever nothing should run (paused, diverged,
        halted).  Under a speed cap a step is due every ``1 / cap`` seconds, so the
        wait counts as a stall only :data:`STALL_SECONDS` after that.
        """
        if not self._playing or self._halted or self._diverged:
            return None
        waited = self._clock() - self._progress_at
        allowed = STALL_SECONDS + (1.0 / self._speed if self._speed else 0.0)
        return waited if waited > allowed else None

    def _waiting_from_now(self) -> None:
        """Training was (re)started: a stall is counted from now, not from the last step."""
        self._progress_at = self._clock()

    # -- commands ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the runner and tell it the state the controller holds."""
        self.runner.start()
        self._send_state()
        self._waiting_from_now()

    def toggle(self) -> Notice | None:
        """Space: play when paused, pause when playing (refused while stopped)."""
        refused = self._refusal()
        if refused is not None:
            return refused
        if self._playing:
            self.pause()
            return None
        return self.play()

    def play(self) -> Notice | None:
        """Train on; refused (with the reason) after divergence or repeated crashes."""
        refused = self._refusal()
        if refused is not None:
            return refused
        if not self._playing:
            self._waiting_from_now()
        self._playing = True
        self.paused_at = None
        if self._pause_at is not None and self._step >= self._pause_at:
            self._pause_armed = False  # stepped past the point by hand: nothing to hold at
        self.runner.play(until=self._hold_at())
        return None

    def pause(self) -> None:
        self._playing = False
        self.runner.pause()

    def pause_if_playing(self) -> bool:
        """Pause a playing run (``[`` looks back at a still run); True if it was playing."""
        playing = self._playing
        if playing:
            self.pause()
        return playing

    def step(self, n: int) -> Notice | None:
        """Pause, then run exactly ``n`` steps."""
        refused = self._refusal()
        if refused is not None:
            return refused
        if self._playing:
            self.pause()
        self.runner.step(n)
        return None

    def change_speed(self, direction: int) -> Notice:
        """One step faster (``direction`` > 0) or slower along the speed ladder."""
        new = next_speed(self._speed, direction)
        if new == self._speed:
            edge = "full speed already" if new is None else f"{format_speed(new)} is the slowest"
            return Notice(f"speed: {edge}", "warning")
        self.set_speed(new)
        return Notice(f"speed: {describe_speed(new)}")

    def set_speed(self, speed: float | None) -> None:
        self._speed = speed
        self.runner.set_speed(speed)
        self._waiting_from_now()  # the next step is due on the new cap's clock

    def reset(self, config: Config | PairConfig) -> None:
        """Start ``config`` from step 0; after divergence, carry on as the user left it.

        After repeated crashes (halted) this is the user's request for another try.
        """
        if self._halted:
            self._halted = False
            self._restarts = []
            self.runner.restart()
            self._send_state()
        self.runner.reset(config)
        self._live = None  # a change to a network that is gone
        resume = self._diverged and self._resume_after_reset
        self._diverged = self._resume_after_reset = False
        self._pause_armed = self._pause_at is not None
        self.paused_at = None
        self._step = 0
        self._waiting_from_now()
        if resume or (self._playing and self._pause_armed):
            # A run that diverged plays on; a scene's run holds at its point again.
            self._playing = True
            self.runner.play(until=self._hold_at())

    # -- settings ------------------------------------------------------------------------

    def request_setting(self, name: str, value: Any) -> SettingOutcome:
        """Set one field: refused (a bad value), kept (the same), live, or by a reset."""
        old = self.runner.config
        assert isinstance(old, Config)  # the run's controller: one network
        try:
            new = old.replace(**{name: value})
            if name == "dataset" and (new.is_table or old.is_table):
                # A table takes all its rows, a toy from a table its default points.
                new = new.replace(samples=default_samples(new))
        except ValueError as error:  # ConfigError, or a table that cannot be read
            return SettingOutcome(False, Notice(f"not applied: {error}", "error"))
        new_value = getattr(new, name)
        if new_value == getattr(old, name):
            return SettingOutcome(False, None)
        words = f"{short_name(name)} → {format_value(new_value)}"
        if FIELD_BY_NAME[name].live:
            self.runner.apply_live(**{name: new_value})
            return SettingOutcome(True, self.expect_live(words, self.runner.config), live=True)
        self.reset(new)
        return SettingOutcome(True, Notice(f"reset: {words}"))

    def cycled(self, name: str, direction: int) -> Any:
        """The next (``direction`` > 0) or previous choice of choice setting ``name``
        (the dataset csv only when the run has a CSV file: it cannot be chosen here)."""
        config = self.runner.config
        choice = nudge(FIELD_BY_NAME[name], getattr(config, name), direction)
        if name == "dataset" and choice == CSV and not config.data:
            choice = nudge(FIELD_BY_NAME[name], choice, direction)
        return choice

    def nudge(self, name: str, direction: int) -> Any:
        """Numeric setting ``name`` one step up or down; a warning Notice at the ladder's end."""
        current = getattr(self.runner.config, name)
        new = nudge(FIELD_BY_NAME[name], current, direction)
        if new == current:
            edge = "highest" if direction > 0 else "lowest"
            return Notice(f"{short_name(name)} is at its {edge} step: {format_value(current)}",
                          "warning")
        return new

    def compare_request(self, name: str, value: Any) -> CompareRequest:
        """A (the run's settings) against B (``name`` → ``value``); refused when B is not
        a valid config or is A.  A valid request pauses a playing run."""
        config = self.runner.config
        assert isinstance(config, Config)  # the run's controller: one network
        try:
            other = config.replace(**{name: value})
        except ConfigError as error:
            return CompareRequest(None, refusal=Notice(f"cannot compare: {error}", "error"))
        if other == config:
            return CompareRequest(None, refusal=Notice(
                f"cannot compare: {short_name(name)} is already {format_value(value)}",
                "warning"))
        paused = self.pause_if_playing()
        change = f"{short_name(name)} → {format_value(getattr(other, name))}"
        return CompareRequest(PairConfig(config, other), change, paused=paused)

    def experiment_request(self, name: str) -> ExperimentRequest:
        """The experiment ``name`` on the run's settings (its own steps and options, or
        the open scene's when it names the experiment); a playing run is paused (the
        experiment's runs would share the CPU with it)."""
        config = self.runner.config
        assert isinstance(config, Config)  # the run's controller: one network
        options = {} if self.scene is None else self.scene.experiment_options(name)
        steps = options.pop("steps", None)
        return ExperimentRequest(ExperimentJob.of(name, config, steps, **options),
                                 self.pause_if_playing())

    def restart(self) -> Notice:
        """``r``: the same run again from step 0, same settings, same seed."""
        config = self.runner.config
        self.reset(config)
        return Notice(f"reset: same settings, seed {config.seed}")

    def new_seed(self) -> Notice:
        """``n``: start again with the next seed (new data, new initial weights)."""
        config = self.runner.config
        seed = (config.seed + 1) % (MAX_SEED + 1)
        self.reset(config.replace(seed=seed))
        return Notice(f"reset: seed → {seed}")

    # -- the lecture -----------------------------------------------------------------------

    def open_scene(self, scenario: Scenario) -> Notice:
        """``scenario`` from step 0: its pause point, its speed (if it has one), play."""
        self.scene = scenario
        self.set_pause_at(scenario.pause_at)
        if scenario.speed is not None:
            self.set_speed(scenario.speed)
        self.reset(scenario.config)
        self.play()
        return Notice(f"scene {scene_label(scenario)}: {scenario.title}")

    def neighbour_scene(self, direction: int) -> tuple[Scenario | None, Notice | None]:
        """The next (``direction`` > 0) or previous scene, or a warning past either end."""
        scenario = neighbour(self.scene, direction)
        if scenario is None:
            edge = "last" if direction > 0 else "first"
            return None, Notice(f"this is the {edge} scene", "warning")
        return scenario, None

    def expect_live(self, words: str, config: Config) -> Notice:
        """A live change was sent (``lr → 0.5``), leading to ``config``: its notice now;
        :meth:`observe` names the step it applied at once a snapshot has it.

        A training process handles the change between chunks, some steps after the step
        on screen (hundreds at full speed), so only the snapshot knows that step.
        """
        self._live = (words, config, self._step)
        return Notice(f"{words} (live)")

    @property
    def live_pending(self) -> bool:
        """A live change was sent that no snapshot has shown yet."""
        return self._live is not None

    def _live_applied(self, snapshot: Snapshot | PairSnapshot) -> Notice | None:
        """The expected live change's notice with its step, once ``snapshot`` has it."""
        if self._live is None or not isinstance(snapshot, Snapshot):
            return None
        words, config, sent_at = self._live
        applied_at = snapshot.live_changed_at
        # It applies at the step on screen when it was sent or later: an older picture
        # (its config can match: lr 0.2 → 0.5 → 0.2) shows an older change, or none.
        if snapshot.config != config or applied_at is None or applied_at < sent_at:
            return None
        self._live = None
        return Notice(f"{words} (live, at step {applied_at:,})")

    # -- what the runner reports --------------------------------------------------------

    def observe(self, snapshot: Snapshot | PairSnapshot) -> Notice | None:
        """Look at a new snapshot; the first diverged one pauses the run (once).

        A run with a :attr:`pause_at` step pauses there once (see :meth:`_pause_point`).
        A new step ends a stall.  The first snapshot with an expected live change says
        the step it applied at (:meth:`expect_live`).
        """
        if snapshot.step != self._step:
            self._waiting_from_now()
        self._step = snapshot.step
        applied = self._live_applied(snapshot)
        if not snapshot.diverged:
            return self._pause_point(snapshot.step) or applied
        if self._diverged:
            return None
        self._diverged = True
        self._resume_after_reset = self._playing
        self._playing = False
        self.runner.pause()
        return Notice(f"diverged at step {snapshot.step:,}: the last finite state is shown; "
                      f"{self.recover_hint}", "error")

    def check_runner(self) -> Notice | None:
        """Replace a dead training process, unless it keeps dying (then stay halted)."""
        failure = self.runner.failure
        if failure is None or self._halted:
            return None
        now = self._clock()
        recent = [t for t in self._restarts if now - t < RESTART_WINDOW_S]
        if len(recent) >= MAX_RESTARTS:
            self._halted = True  # the play intent is kept for when r tries again
            return Notice(f"{failure}; it keeps failing, so it stays stopped. "
                          "Change a setting or press r to try again", "error")
        self._restarts = [*recent, now]
        self.runner.restart()
        self._diverged = self._resume_after_reset = False
        self._send_state()
        self._waiting_from_now()
        return Notice(f"{failure}; started a fresh one from step 0", "error")

    def _pause_point(self, step: int) -> Notice | None:
        """Pause on :attr:`pause_at` exactly: the runner holds there by itself.

        Playing, the runner was told to train no step past the point (``play(until)``),
        however fast it runs and however late a pause would reach it; once a snapshot is
        at the point, the controller makes it a pause.
        """
        target = self._pause_at
        if not self._pause_armed or target is None or not self._playing or step < target:
            return None
        self._pause_armed = False
        self.pause()
        self.paused_at = step
        if self.finish_at is not None:
            return Notice(f"done at step {target:,}: r runs it again")
        return Notice(f"the scene pauses at step {target:,}: space plays on")

    # -- plumbing ------------------------------------------------------------------------

    def _refusal(self) -> Notice | None:
        if self._halted:
            return Notice("training stopped after repeated failures: press r to try again",
                          "warning")
        if self._diverged:
            return Notice("diverged: press r to reset", "warning")
        if self.finish_at is not None and self._step >= self.finish_at:
            return Notice(f"done at step {self.finish_at:,}: r runs it again", "warning")
        return None

    def permute(self) -> None:
        """``p``: pause (a relabelling is compared at one step), then permute once paused.

        :meth:`continue_permutation` takes the steps that wait on the runner.
        """
        self.pause_if_playing()
        self._permutation.request()

    def choose_image(self, delta: int, snapshot: Snapshot) -> Notice:
        """← / → in the filters view: the training image ``delta`` on (wrapping round),
        whose feature maps the runner pictures from now on."""
        pictures = filters_of(snapshot)
        if pictures is None:
            return Notice("← → choose the image whose feature maps a conv net's filters "
                          "view shows (--arch conv)", "warning")
        self.image_index = (self.image_index + delta) % pictures.images
        self.runner.select_image(self.image_index)
        return Notice(f"image {self.image_index + 1:,} of {pictures.images:,}")

    def continue_permutation(self) -> PermutationStep | None:
        """The next step of ``p`` if the runner is ready for it (see app/permutation.py)."""
        return self._permutation.advance(self.runner)

    def _send_state(self) -> None:
        """Tell the runner the speed and whether to play (a fresh child knows neither)."""
        runner = self.runner
        runner.set_speed(self._speed)
        if self._playing:
            runner.play(until=self._hold_at())
        else:
            runner.pause()


def describe_speed(speed: float | None) -> str:
    """``full speed`` or ``at most 10 steps/s``."""
    return "full speed" if speed is None else f"at most {format_speed(speed)}"
