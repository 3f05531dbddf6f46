"""The experiments' shared plumbing: the registry's jobs, the one command
`tui-symmetry experiment NAME`, the runs a runner trains (ExperimentRun), and the
app's screen for them (x, the palette, Escape back to the paused run)."""

from __future__ import annotations

import json

import pytest
from conftest import TEST_CONFIG, Drive, MakeApp, wait_until
from textual.pilot import Pilot

from tui_symmetry.app.experiment_screen import ExperimentPicker, ExperimentScreen
from tui_symmetry.app.widgets.loss import SafePlot
from tui_symmetry.cli import main
from tui_symmetry.core.config import Config, ConfigError
from tui_symmetry.experiments import registry
from tui_symmetry.experiments.registry import (
    EXPERIMENTS,
    ExperimentJob,
    ExperimentRun,
    UnknownExperiment,
)

TINY = Config(samples=40, hidden=3, seed=2, init="xavier")
SMALL_OPTIONS = {"seeds": {"runs": 3}, "teacher": {"students": 2}, "duplicate": {"before": 40}}
"""Options that keep an experiment's runs few and short (each still does all it does)."""


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_job_checks_its_options_and_fills_the_rest() -> None:
    job = ExperimentJob.of("seeds", TINY, 40, runs="3")
    assert job.option("runs") == 3 and job.option("space") == "function"
    assert ExperimentJob.of("seeds", TINY).steps == EXPERIMENTS["seeds"].steps
    with pytest.raises(ConfigError, match=r"runs: 17 is out of range"):
        ExperimentJob.of("seeds", TINY, runs=17)
    with pytest.raises(ConfigError, match="no option 'width'"):
        ExperimentJob.of("barrier", TINY, width=3)
    with pytest.raises(UnknownExperiment, match="use one of seeds, barrier"):
        ExperimentJob.of("seed", TINY)


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_the_runner_s_runs_end_where_the_headless_run_ends(name: str) -> None:
    """Stepped in odd chunks, never past its steps, the experiment a runner trains
    measures what the headless command measures."""
    job = ExperimentJob.of(name, TINY, 45, **SMALL_OPTIONS.get(name, {}))
    run = ExperimentRun(job)
    assert run.step(30) == 30 and run.step(30) == 15 and run.step(5) == 0
    picture = run.snapshot(version=4)
    assert picture.done and picture.step == 45 and picture.version == 4
    assert picture.result.to_dict() == registry.run(job).to_dict()


def test_the_command_reports_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    words = ["experiment", "barrier", "--samples", "40", "--hidden", "3", "--seed", "2",
             "--init", "xavier", "--steps", "45"]
    status, out, err = run_cli(words, capsys)
    lines = out.splitlines()
    assert status == 0 and err == ""
    assert lines[-1].startswith("barrier along A → B: ") and lines[0].startswith("runs ")
    status, out, err = run_cli([*words, "--json"], capsys)
    document = json.loads(out)
    expected = registry.run(ExperimentJob.of("barrier", TINY, 45)).to_dict()
    assert status == 0 and err == "" and document == json.loads(json.dumps(expected))
    assert document["experiment"] == "barrier" and document["step"] == 45


@pytest.mark.parametrize(("argv", "message"), [
    (["experiment"], "experiment needs a NAME: one of seeds, barrier"),
    (["experiment", "nope"], "no experiment 'nope'; use one of seeds, barrier"),
    (["experiment", "seeds", "--runs", "1"], "runs: '1' is out of range; use an integer "
     "in [2, 16]"),
    (["experiment", "seeds", "--space", "both"], "space: 'both' is not one of function, "
     "weights"),
    (["experiment", "barrier", "--runs", "3"], "unrecognized arguments: --runs 3"),
    (["experiment", "barrier", "--steps", "0"], "steps: '0' is out of range"),
])
def test_bad_input_is_one_line_and_status_2(argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(argv, capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"tui-symmetry: error: {message}") and err.count("\n") == 1


def test_help_lists_every_experiment(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(["experiment", "--help"], capsys)
    assert status == 0
    for name, experiment in EXPERIMENTS.items():
        assert f"  {name}" in out and experiment.help in out


def test_x_opens_an_experiment_beside_the_paused_run(make_app: MakeApp, drive: Drive):
    app = make_app(TEST_CONFIG.replace(init="xavier"))

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")  # the run: step 100
        app.controller.play()
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentPicker))
        await pilot.press("down", "enter")  # the second: the barrier
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen))
        screen = app.screen
        assert isinstance(screen, ExperimentScreen)
        assert app.controller.state == "paused"  # the run behind waits
        assert screen.job == ExperimentJob.of("barrier", app.config)
        await pilot.press("S", "s")
        await wait_until(pilot, lambda: screen.picture is not None
                         and screen.picture.step == 101)
        assert str(screen.verdict_line.render()).startswith("step 101: barrier along A → B")
        assert screen.query_one(SafePlot).display and not screen.table.display
        assert str(screen.status_line.render()).startswith("step 101 of 3,000 · ")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        assert app.snapshot.step == 100 and app.controller.state == "paused"

    drive(app, script)


def test_the_palette_offers_every_experiment(make_app: MakeApp, drive: Drive):
    app = make_app(TEST_CONFIG.replace(init="xavier"))

    async def script(pilot: Pilot) -> None:
        from tui_symmetry.app.commands import SymmetryCommands

        provider = SymmetryCommands(app.main_screen)
        titles = [title for title, _, _ in provider._commands()]
        for experiment in EXPERIMENTS.values():
            assert f"Experiment: {experiment.title}" in titles
        [open_seeds] = [callback for title, _, callback in provider._commands()
                        if title == "Experiment: many seeds"]
        open_seeds()
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen))
        screen = app.screen
        assert isinstance(screen, ExperimentScreen) and screen.job.name == "seeds"
        await wait_until(pilot, lambda: screen.picture is not None)
        assert screen.table.display and "recurs" in str(screen.table.render())

    drive(app, script)


def test_the_seeds_table_shows_each_partner_and_similarity() -> None:
    """Read back from the drawn text: every cell is the partner (from 1) and the matched
    similarity of the result, and the last column counts the cells at 0.9 or more."""
    from tui_symmetry.app.widgets.experiments import seeds_table

    result = registry.run(ExperimentJob.of("seeds", TINY, 40, runs=4))
    lines = seeds_table(result).plain.splitlines()
    assert lines[0].split() == ["unit", "run", "2", "run", "3", "run", "4", "recurs"]
    rec = result.recurrence
    for unit, line in enumerate(lines[1:4]):
        fields = line.replace(": ", ":").split()
        cells = fields[1:4]
        read = [(int(cell.split(":")[0]), float(cell.split(":")[1])) for cell in cells]
        assert [p for p, _ in read] == (rec.partner[unit] + 1).tolist()
        assert [v for _, v in read] == [round(float(x), 2) for x in rec.matched[unit]]
        count = int(fields[4].split("/")[0])
        assert count == sum(float(x) >= 0.9 for x in rec.matched[unit]) == rec.recurs[unit]


def test_while_its_runs_train_the_result_is_redrawn_at_most_twice_a_second(
        make_app: MakeApp, drive: Drive):
    """On a fake clock: a playing experiment's newer pictures wait for the interval (the
    status line follows each), a paused one is drawn at once."""
    from conftest import FakeClock

    from tui_symmetry.runner import SyncRunner

    app = make_app(TEST_CONFIG.replace(init="xavier"))
    clock = FakeClock()
    job = ExperimentJob.of("barrier", TINY, 3000)
    runner = SyncRunner(job, steps_per_poll=10, make_trainer=ExperimentRun)
    screen = ExperimentScreen(runner, clock=clock, draw_interval=0.5)

    def drawn() -> str:
        return str(screen.verdict_line.render())

    async def script(pilot: Pilot) -> None:
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.picture is not None)
        assert screen.controller.state == "running"
        first = drawn()
        screen.poll()
        screen.poll()  # two more pictures, 0 s later: the status moves, the drawing not
        assert screen.picture is not None and screen.picture.step >= 20
        assert drawn() == first
        assert str(screen.status_line.render()).startswith(f"step {screen.picture.step:,} ")
        clock.advance(0.5)
        screen.poll()
        assert drawn().startswith(f"step {screen.picture.step:,}: ") and drawn() != first
        await pilot.press("space")  # paused: drawn at once, whatever the clock
        await wait_until(pilot, lambda: screen.controller.state == "paused")
        assert drawn().startswith(f"step {screen.picture.step:,}: ")

    drive(app, script)


def test_a_training_process_trains_the_experiment_to_its_end() -> None:
    """The real path: a ProcessRunner's child trains the ExperimentRun (the job crosses
    to it), holds at its last step, and its result is the headless one."""
    from conftest import wait_for

    from tui_symmetry.runner import ProcessRunner

    job = ExperimentJob.of("seeds", TINY, 60, runs=3)
    runner = ProcessRunner(job, autoplay=False, make_trainer=ExperimentRun)
    try:
        runner.start()
        runner.play(until=job.steps)
        wait_for(lambda: runner.latest().step == job.steps or runner.failure is not None)
        picture = runner.latest()
        assert runner.failure is None and runner.take_errors() == []
        assert picture.done and picture.result.to_dict() == registry.run(job).to_dict()
    finally:
        runner.close()


def test_x_in_a_scene_starts_the_list_on_the_scenes_experiment(drive: Drive):
    """A clicker's Enter opens the experiment the scene's caption asks for."""
    from conftest import new_app

    from tui_symmetry.runner import SyncRunner
    from tui_symmetry.scenarios import get_scenario

    scenario = get_scenario("barrier-matching")
    app = new_app(scenario.config, runner=SyncRunner(scenario.config), scenario=scenario)

    async def script(pilot: Pilot) -> None:
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentPicker))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen))
        assert app.screen.job.name == "barrier"

    drive(app, script)
