"""The run controller on its own: no Textual, no Pilot, a fake clock; milliseconds."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import FAKE_RUN, FakeClock, FakeRunner

import tui_symmetry.app.controller as controller_module
from tui_symmetry.app.controller import (
    MAX_RESTARTS,
    RESTART_WINDOW_S,
    Notice,
    RunController,
    next_speed,
)
from tui_symmetry.app.numbers import format_significant
from tui_symmetry.app.run_keys import RunKeyActions
from tui_symmetry.core import Config
from tui_symmetry.core.config import FIELD_BY_NAME, MAX_SEED
from tui_symmetry.runner import SyncRunner
from tui_symmetry.scenarios import SCENARIOS, scene_label
from tui_symmetry.settings import SPEEDS

SMALL = FAKE_RUN
DIVERGING = Config(dataset="sine", lr=50.0, samples=80)


def test_the_controller_imports_no_textual():
    tree = ast.parse(Path(controller_module.__file__).read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    assert not {m for m in modules if m and m.split(".")[0] in ("textual", "rich")}


@pytest.mark.parametrize("autoplay", [True, False])
def test_start_tells_the_runner_the_whole_state(autoplay: bool):
    runner = FakeRunner()
    controller = RunController(runner, autoplay=autoplay, speed=10.0)
    controller.start()
    assert runner.commands == [("start",), ("speed", 10.0), ("play",) if autoplay
                               else ("pause",)]
    assert controller.state == ("running" if autoplay else "paused")


def test_toggle_plays_and_pauses():
    runner = FakeRunner(steps_per_poll=5)
    controller = RunController(runner, autoplay=False)
    controller.start()
    assert controller.toggle() is None
    assert controller.playing and controller.state == "running"
    assert runner.latest().step == 5  # the runner trains: it was told to play
    controller.toggle()
    assert not controller.playing and controller.state == "paused"
    assert runner.latest().step == 5 == runner.latest().step


def test_step_pauses_then_steps_exactly():
    runner = FakeRunner(steps_per_poll=3)
    controller = RunController(runner, autoplay=True)
    controller.start()
    assert controller.step(100) is None
    assert runner.last(2) == [("pause",), ("step", 100)]
    assert not controller.playing
    assert runner.latest().step == 100


def test_speed_walks_the_ladder_and_stops_at_the_ends():
    runner = FakeRunner()
    controller = RunController(runner, speed=None)
    assert controller.change_speed(1).severity == "warning"  # already full speed
    seen = []
    for _ in range(len(SPEEDS) - 1):
        notice = controller.change_speed(-1)
        seen.append(controller.speed)
        assert notice.severity == "information"
    assert seen == list(reversed(SPEEDS[:-1]))
    assert runner.speed == SPEEDS[0]
    assert controller.change_speed(-1).severity == "warning"  # slowest already
    assert controller.speed == SPEEDS[0]
    assert "steps/s" in controller.change_speed(1).text
    assert runner.speed == SPEEDS[1]


@pytest.mark.parametrize(("speed", "direction", "expected"), [
    (None, 1, None), (None, -1, 1000.0), (1000.0, 1, None), (1.0, -1, 1.0),
    (50.0, 1, 100.0), (50.0, -1, 10.0), (0.5, -1, 1.0), (5000.0, -1, 1000.0),
])
def test_next_speed(speed: float | None, direction: int, expected: float | None):
    assert next_speed(speed, direction) == expected


def test_divergence_pauses_once_refuses_play_and_reset_resumes():
    runner = FakeRunner(DIVERGING, steps_per_poll=50)
    controller = RunController(runner, autoplay=True)
    controller.start()
    snapshot = runner.latest()
    while not snapshot.diverged:
        snapshot = runner.latest()
    notice = controller.observe(snapshot)
    assert notice is not None and notice.severity == "error"
    assert f"diverged at step {snapshot.step:,}" in notice.text
    assert controller.state == "diverged" and not controller.playing
    assert runner.last(1) == [("pause",)]
    assert controller.observe(snapshot) is None  # said once
    for refused in (controller.toggle(), controller.play(), controller.step(1)):
        assert refused is not None and "press r" in refused.text
    assert ("step", 1) not in runner.commands
    controller.reset(DIVERGING.replace(lr=0.1))
    assert controller.state == "running"  # it was playing when it diverged
    assert runner.last(2) == [("reset", DIVERGING.seed), ("play",)]


def test_divergence_while_stepping_stays_paused_after_reset():
    runner = FakeRunner(DIVERGING)
    controller = RunController(runner, autoplay=False)
    controller.start()
    runner.step(1000)
    assert controller.observe(runner.latest()) is not None
    controller.reset(DIVERGING)
    assert controller.state == "paused"
    assert ("play",) not in runner.commands


def test_a_dead_runner_is_restarted_with_the_state_resent():
    runner = FakeRunner()
    controller = RunController(runner, autoplay=True, speed=100.0, clock=FakeClock())
    controller.start()
    assert controller.check_runner() is None
    runner.dead = "the training process stopped unexpectedly (killed by SIGKILL)"
    notice = controller.check_runner()
    assert notice is not None and "started a fresh one" in notice.text
    assert runner.last(3) == [("restart",), ("speed", 100.0), ("play",)]
    assert controller.state == "running"


def test_a_runner_that_keeps_dying_halts_until_reset():
    clock = FakeClock()
    runner = FakeRunner()
    controller = RunController(runner, autoplay=True, clock=clock)
    controller.start()
    for _ in range(MAX_RESTARTS):
        runner.dead = "gone"
        assert "fresh" in controller.check_runner().text
        clock.now += 1.0
    runner.dead = "gone"
    notice = controller.check_runner()
    assert notice is not None and "keeps failing" in notice.text
    assert controller.state == "halted"
    assert controller.check_runner() is None  # said once, not restarted
    assert runner.commands.count(("restart",)) == MAX_RESTARTS
    assert "press r" in controller.toggle().text
    controller.reset(SMALL)  # the user asks for another try
    assert runner.commands.count(("restart",)) == MAX_RESTARTS + 1
    assert controller.state == "running"


def test_restarts_spread_over_time_are_always_replaced():
    clock = FakeClock()
    runner = FakeRunner()
    controller = RunController(runner, clock=clock)
    for _ in range(3 * MAX_RESTARTS):
        runner.dead = "gone"
        assert "fresh" in controller.check_runner().text
        clock.now += RESTART_WINDOW_S / (MAX_RESTARTS - 1) + 0.01
    # Never halted; "stalled": the fake processes trained no step in all that time.
    assert controller.playing and controller.state == "stalled"


def test_sync_runner_keeps_counting_versions_and_stores_speed():
    runner = SyncRunner(SMALL)
    first = runner.latest()
    runner.reset(SMALL)
    again = runner.latest()
    assert again.version > first.version and again.step == 0
    runner.set_speed(10.0)
    assert runner.speed == 10.0
    calls: list[int] = []
    runner.set_listener(lambda: calls.append(1))
    runner.step(3)
    assert runner.latest().step == 3
    assert calls == []  # done when step() returns: nothing to announce later


def test_a_live_change_is_named_with_the_step_its_snapshot_says():
    runner = FakeRunner()
    controller = RunController(runner, autoplay=False)
    controller.start()
    runner.step(10)
    runner.apply_live(lr=0.5)
    runner.step(5)
    runner.apply_live(lr=0.2)  # back where it started: lr 0.2 again, from step 15
    controller.observe(runner.latest())
    older = runner.latest()  # lr 0.2 at step 15: like every picture after the change
    runner.step(25)
    sent = controller.expect_live("lr → 0.5", runner.config.replace(lr=0.5))
    assert sent.text == "lr → 0.5 (live)" and controller.live_pending
    runner.step(7)  # the training process was in a chunk: it applies it at step 47
    assert controller.observe(older) is None  # no picture of the change yet
    runner.apply_live(lr=0.5)
    applied = controller.observe(runner.latest())
    assert applied is not None and applied.text == "lr → 0.5 (live, at step 47)"
    assert not controller.live_pending
    # lr 0.2 → 0.5 → 0.2 and a picture from before both: same config, an older change.
    sent = controller.expect_live("lr → 0.2", runner.config.replace(lr=0.2))
    assert controller.observe(older) is None and controller.live_pending


class RunKeysHost(RunKeyActions):
    """The least a screen needs to use the shared run keys: a controller, a way to say."""

    def __init__(self, controller: RunController) -> None:
        self.controller = controller
        self.after: list[Notice | None] = []

    def _after_command(self, notice: Notice | None = None) -> None:
        self.after.append(notice)


def test_the_run_keys_ask_the_controller_and_show_what_it_says():
    runner = FakeRunner(steps_per_poll=2)
    host = RunKeysHost(RunController(runner, autoplay=False, speed=10.0))
    host.controller.start()
    host.action_toggle_run()
    assert host.controller.playing and host.after == [None]
    host.action_step(7)
    assert not host.controller.playing and runner.last(2) == [("pause",), ("step", 7)]
    host.action_speed(+1)
    assert runner.last(1) == [("speed", next_speed(10.0, +1))]
    assert host.after[-1] is not None and host.after[-1].text.startswith("speed")


class PermutingRunner(FakeRunner):
    """A FakeRunner that records permutations, can be busy, and can refuse them."""

    def __init__(self, config: Config = FAKE_RUN) -> None:
        super().__init__(config)
        self.busy = False
        self.refuse: str | None = None
        self.perms: list[list[int]] = []

    @property
    def pending(self) -> bool:
        return self.busy

    def permute(self, perm: Sequence[int]) -> None:
        if self.refuse is not None:
            raise RuntimeError(self.refuse)
        self.perms.append([int(i) for i in perm])
        super().permute(perm)


def test_p_pauses_waits_for_the_runner_permutes_once_then_reports():
    runner = PermutingRunner()
    controller = RunController(runner, autoplay=True)
    controller.start()
    runner.step(20)
    assert controller.permute() is None
    assert not controller.playing and runner.last(1) == [("pause",)]
    runner.busy = True  # the pause is not done yet: nothing is sent
    assert controller.continue_permutation() is None and runner.perms == []
    runner.busy = False
    before = runner.latest()
    sent = controller.continue_permutation()
    assert sent is not None and sent.notice is None and sent.poll_again
    (perm,) = runner.perms
    assert sorted(perm) == list(range(FAKE_RUN.hidden)) and perm != sorted(perm)
    after = runner.latest()
    assert after.version != before.version
    done = controller.continue_permutation()
    assert done is not None and not done.poll_again and done.notice is not None
    assert done.notice.text.startswith(f"permuted units: loss {format_significant(before.loss, 6)}")
    assert done.notice.severity == "information" and "u1←" in done.notice.text
    assert controller.continue_permutation() is None and len(runner.perms) == 1  # idle


def test_every_p_has_its_own_reproducible_permutation_never_the_identity():
    perms = []
    for _ in range(2):  # the same run twice: the same permutations
        runner = PermutingRunner(Config(samples=40, hidden=2, seed=7))
        controller = RunController(runner, autoplay=False)
        controller.start()
        for _ in range(3):
            controller.permute()
            while (step := controller.continue_permutation()) is not None and step.poll_again:
                pass
        perms.append(runner.perms)
    assert perms[0] == perms[1] == [[1, 0]] * 3  # H = 2: the swap is the only other one


def test_a_refused_permutation_is_reported_and_p_goes_idle():
    runner = PermutingRunner()
    runner.refuse = "the training process is busy"
    controller = RunController(runner, autoplay=False)
    controller.start()
    controller.permute()
    failed = controller.continue_permutation()
    assert failed is not None and not failed.poll_again
    assert failed.notice == Notice("permute failed: the training process is busy", "error")
    assert controller.continue_permutation() is None


def test_a_setting_is_refused_kept_applied_live_or_reset():
    runner = FakeRunner()
    controller = RunController(runner, autoplay=False)
    controller.start()
    started = list(runner.commands)
    refused = controller.request_setting("hidden", 0)
    assert not refused.changed and refused.notice is not None
    assert refused.notice.severity == "error" and refused.notice.text.startswith("not applied: ")
    same = controller.request_setting("hidden", FAKE_RUN.hidden)
    assert (same.changed, same.notice) == (False, None)
    assert runner.commands == started  # neither reached the runner
    live = controller.request_setting("lr", 0.5)
    assert (live.changed, live.live, live.notice) == (True, True, Notice("lr → 0.5 (live)"))
    assert runner.config.lr == 0.5 and controller.live_pending
    assert runner.commands == started  # live: no reset
    reset = controller.request_setting("init", "xavier")
    assert (reset.changed, reset.live) == (True, False)
    assert reset.notice == Notice("reset: init → xavier")
    assert runner.config.init == "xavier" and runner.last(1) == [("reset", FAKE_RUN.seed)]


def test_cycle_and_nudge_values_and_the_ladders_end():
    runner = FakeRunner(FAKE_RUN.replace(lr=0.1, dropout=0.0))
    controller = RunController(runner, autoplay=False)
    assert controller.nudge("lr", +1) == 0.2
    assert controller.nudge("lr", -1) == 0.05
    assert controller.nudge("dropout", -1) == Notice("dropout is at its lowest step: 0",
                                                     "warning")
    choices = FIELD_BY_NAME["init"].choices
    here = choices.index(FAKE_RUN.init)
    assert controller.cycled("init", +1) == choices[(here + 1) % len(choices)]
    assert controller.cycled("init", -1) == choices[here - 1]


def test_restart_and_new_seed_reset_and_say_so():
    runner = FakeRunner(FAKE_RUN.replace(seed=MAX_SEED))
    controller = RunController(runner, autoplay=False)
    controller.start()
    runner.step(5)
    assert controller.restart() == Notice(f"reset: same settings, seed {MAX_SEED}")
    assert runner.last(1) == [("reset", MAX_SEED)] and runner.latest().step == 0
    assert controller.new_seed() == Notice("reset: seed → 0")  # wraps past the largest
    assert runner.last(1) == [("reset", 0)] and runner.config.seed == 0
    assert controller.new_seed() == Notice("reset: seed → 1")
    assert runner.config == FAKE_RUN.replace(seed=1)


def test_opening_a_scene_sets_its_pause_point_and_speed_then_resets_and_plays():
    first, second = list(SCENARIOS.values())[:2]
    runner = FakeRunner()
    controller = RunController(runner, autoplay=False, scene=first)
    assert controller.scene is first and controller.pause_at == first.pause_at
    controller.start()
    notice = controller.open_scene(second)
    assert notice == Notice(f"scene 2/{len(SCENARIOS)} · {second.name}: {second.title}")
    assert controller.scene is second and controller.pause_at == second.pause_at
    assert controller.speed == second.speed and controller.playing
    assert runner.config == second.config
    assert runner.last(3) == [("speed", second.speed), ("reset", second.config.seed),
                              ("play", second.pause_at)]


def test_the_neighbour_scene_or_a_warning_at_either_end_of_the_lecture():
    names = list(SCENARIOS)
    controller = RunController(FakeRunner(), autoplay=False)
    assert controller.neighbour_scene(+1) == (SCENARIOS[names[0]], None)  # no scene yet
    assert controller.neighbour_scene(-1) == (SCENARIOS[names[0]], None)
    controller.open_scene(SCENARIOS[names[0]])
    assert controller.neighbour_scene(-1) == (None, Notice("this is the first scene",
                                                           "warning"))
    assert controller.neighbour_scene(+1) == (SCENARIOS[names[1]], None)
    controller.open_scene(SCENARIOS[names[-1]])
    assert controller.neighbour_scene(+1) == (None, Notice("this is the last scene", "warning"))
    assert controller.neighbour_scene(-1) == (SCENARIOS[names[-2]], None)
    assert scene_label(SCENARIOS[names[-1]]) == f"{len(names)}/{len(names)} · {names[-1]}"


def test_a_comparison_is_refused_or_paused_for_and_named():
    runner = FakeRunner()
    controller = RunController(runner, autoplay=True)
    controller.start()
    bad = controller.compare_request("hidden", 0)
    assert bad.pair is None and not bad.paused and bad.refusal is not None
    assert bad.refusal.severity == "error" and bad.refusal.text.startswith("cannot compare: ")
    same = controller.compare_request("init", FAKE_RUN.init)
    assert same.pair is None and same.refusal == Notice(
        f"cannot compare: init is already {FAKE_RUN.init}", "warning")
    assert controller.playing  # a refused comparison leaves the run as it was
    request = controller.compare_request("lr", "0.5")
    assert request.refusal is None and request.paused and not controller.playing
    assert request.pair is not None and request.change == "lr → 0.5"
    assert (request.pair.a, request.pair.b) == (FAKE_RUN, FAKE_RUN.replace(lr=0.5))
    again = controller.compare_request("lr", 0.5)  # already paused: nothing to poll for
    assert again.pair == request.pair and not again.paused


def test_pause_if_playing_says_whether_it_paused():
    runner = FakeRunner()
    controller = RunController(runner, autoplay=True)
    controller.start()
    assert controller.pause_if_playing() and not controller.playing
    assert runner.last(1) == [("pause",)]
    assert not controller.pause_if_playing() and runner.last(1) == [("pause",)]
