"""Built-in scenarios: the list, ``--scenario`` on the command line, and the claim of
every caption, checked by running the scenario headless on seeds 0 to 4.

A claim check runs the scenario's own configuration with one of those seeds (to its
``point_step``, the step by which the caption says the point is made) and asserts what
the caption promises, with a counter-run where the claim is a comparison.  Every
scenario must have one: see ``test_every_scenario_has_a_claim_check``.  A caption
that holds for one seed only is a caption about that seed, not about the scene.
"""

from __future__ import annotations

import io
import json
import math
import sys
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from reference_conv import forward as conv_forward
from reference_mlp import data_loss, forward

from tui_symmetry import cli
from tui_symmetry.cli import app as cli_app
from tui_symmetry.cli.sweep import run as run_sweep_command
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import data_key
from tui_symmetry.core.one_unit import one_unit_loss
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments import barrier, registry, seeds
from tui_symmetry.experiments.registry import ExperimentJob
from tui_symmetry.scenarios import SCENARIOS, Scenario, UnknownScenario, get_scenario

LN2 = math.log(2.0)

REQUIRED = ("symmetric-stays", "zero-stuck", "epsilon-split", "random-breaks",
            "dropout-breaks", "small-init-condenses", "duplicate-saddle", "teacher-width",
            "tie-collapses", "l1-prunes",
            "sine-basis", "linear-convex", "l2-aligns", "digits-copies-stay-one",
            "digits-strokes", "recurring-units", "barrier-matching", "filters-copies",
            "filters-differ")

SEEDS = range(5)
"""Every caption's claim must hold on each of these seeds."""
COSTLY = {"digits-copies-stay-one", "digits-strokes", "duplicate-saddle", "teacher-width",
          "recurring-units", "barrier-matching", "filters-copies", "filters-differ"}
"""Scenes whose check takes seconds a seed (600 digits steps, and the strokes' one-unit
search on 1,437 images; an experiment's runs: L-BFGS on a copied unit's network, on 24
students of a teacher, eight runs of 3,000 steps for many seeds, two of 3,000 at 16
units for the barrier): ``make test`` checks them on seed 0, ``make test-seeds`` on
seeds 1 to 4 as well (marker ``seeds``)."""


def caption_cases() -> list:
    """(name, seed) for every scene and seed; a costly scene's seeds past 0 marked."""
    return [pytest.param(name, seed, id=f"{name}-{seed}",
                         marks=[pytest.mark.seeds] if name in COSTLY and seed else [])
            for name in SCENARIOS for seed in SEEDS]

Check = Callable[[int], None]
CLAIMS: dict[str, list[Check]] = {}


def claim(name: str) -> Callable[[Check], Check]:
    """Register ``check(seed)`` as a check of scenario ``name``'s caption."""
    def register(check: Check) -> Check:
        CLAIMS.setdefault(name, []).append(check)
        return check
    return register


def trained(config: Config, steps: int) -> Trainer:
    """A new run of ``config``, ``steps`` steps on (the caller may go on stepping it)."""
    trainer = Trainer(config)
    trainer.step(steps)
    assert trainer.step_count == steps and not trainer.diverged
    return trainer


_RUNS: dict[tuple[Config, int], Trainer] = {}


def run(config: Config, steps: int) -> Trainer:
    """``config`` trained ``steps`` steps, once per test process: checks that read the
    same run (a scene and the counter-run of another) share it.  Read it, never step it."""
    key = (config, steps)
    if key not in _RUNS:
        _RUNS[key] = trained(config, steps)
    return _RUNS[key]


def scene(name: str, seed: int) -> Config:
    """Scenario ``name``'s configuration with ``seed``."""
    return SCENARIOS[name].config.replace(seed=seed)


def at_point(name: str, seed: int) -> Trainer:
    """Scenario ``name`` on ``seed``, trained to its point step (shared, read only)."""
    return run(scene(name, seed), SCENARIOS[name].point_step)


def summary(trainer: Trainer) -> dict:
    return metrics.summarize(trainer.params, trainer.config.activation)


def on_default_data(config: Config) -> bool:
    """The default task (the seed may differ: it draws the points)."""
    defaults = Config()
    return data_key(config.replace(seed=defaults.seed)) == data_key(defaults)


# -- the catalogue -------------------------------------------------------------------------


def test_every_required_scenario_is_built_in_in_lecture_order() -> None:
    assert tuple(SCENARIOS) == REQUIRED


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_scenario_record_is_complete(scenario: Scenario) -> None:
    sentences = [part for part in scenario.caption.split(". ") if part]
    assert 2 <= len(sentences) <= 3, scenario.caption
    assert scenario.caption.endswith(".")
    assert scenario.title and "\n" not in scenario.title
    assert scenario.point_step >= 1
    assert scenario.pause_at is None or 0 <= scenario.pause_at <= scenario.point_step
    assert scenario.speed is None or scenario.speed > 0
    assert Config.from_dict(scenario.config.to_dict()) == scenario.config
    assert scenario.config == Config().replace(**scenario.changes())


def test_names_are_found_like_settings_and_unknown_ones_listed() -> None:
    assert get_scenario("Zero_Stuck") is SCENARIOS["zero-stuck"]
    with pytest.raises(UnknownScenario) as caught:
        get_scenario("zero")
    message = str(caught.value)
    assert "\n" not in message and "'zero'" in message
    assert all(name in message for name in SCENARIOS)


def test_a_scenario_refuses_a_point_before_step_one() -> None:
    with pytest.raises(ValueError, match="point_step"):
        Scenario("x", "x", Config(), "One. Two.", 0)


def test_every_scenario_has_a_claim_check() -> None:
    assert set(SCENARIOS) == set(CLAIMS)


# -- the command line ------------------------------------------------------------------------


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_scenarios_command_lists_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["scenarios"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(SCENARIOS)
    for line, scenario in zip(lines, SCENARIOS.values(), strict=True):
        assert line.endswith(scenario.title)


def test_scenarios_command_takes_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["scenarios", "extra"])
    assert (code, out) == (2, "")
    assert err.startswith("tui-symmetry: error: ") and err.count("\n") == 1


def test_train_runs_the_scenario_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["train", "--scenario", "zero-stuck", "--steps", "50",
                                       "--json"])
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["config"] == SCENARIOS["zero-stuck"].config.to_dict()
    assert result["step"] == 50 and result["loss"] == pytest.approx(LN2, abs=1e-12)


def test_train_summary_with_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["train", "--scenario", "symmetric-stays", "--steps", "20"])
    assert (code, err) == (0, "")
    assert "max unit gap    0.0  (bit-identical)" in out


def test_config_file_and_flags_override_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "override.toml"
    path.write_text("hidden = 3\ninit = 'normal'\n")
    argv = ["train", "--scenario", "l1-prunes", "--config", str(path), "--init", "he",
            "--steps", "5", "--json"]
    code, out, err = run_main(capsys, argv)
    assert (code, err) == (0, "")
    expected = SCENARIOS["l1-prunes"].config.replace(hidden=3, init="he")
    assert json.loads(out)["config"] == expected.to_dict()


def test_train_runs_a_scenario_to_its_point_without_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = SCENARIOS["zero-stuck"]
    code, out, err = run_main(capsys, ["train", "--scenario", "zero-stuck", "--json"])
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["step"] == scenario.point_step  # where its caption's claim holds
    assert result["config"] == scenario.config.to_dict()
    code, out, _ = run_main(capsys, ["train", "--scenario", "zero-stuck"])
    assert code == 0 and f"steps           {scenario.point_step:,}\n" in out


@pytest.mark.parametrize("command", ["train", "compare", "sweep"])
def test_without_steps_or_a_scenario_the_error_names_both(
    command: str, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [command, *(["--vary", "seed=0,1"] if command == "sweep" else [])]
    code, out, err = run_main(capsys, argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"tui-symmetry: error: {command} needs --steps N (an integer in ")
    assert "--scenario NAME" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["train", "compare", "sweep"])
def test_help_says_a_scenario_gives_the_steps(command: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, [command, "--help"])
    assert code == 0
    out = " ".join(out.split())  # argparse wraps the help
    assert "--steps N | --scenario NAME" in out
    assert "default with --scenario: the scene's point step" in out


def test_compare_runs_the_shared_scenario_to_its_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = SCENARIOS["zero-stuck"]
    code, out, err = run_main(capsys, ["compare", "--scenario", "zero-stuck", "--b",
                                       "--init xavier", "--baseline-runs", "0", "--json"])
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["a"]["step"] == result["b"]["step"] == scenario.point_step
    assert result["a"]["config"] == scenario.config.to_dict()
    assert result["b"]["config"] == scenario.config.replace(init="xavier").to_dict()


def test_compare_runs_a_side_scenario_to_its_point_and_asks_when_two_disagree(
    capsys: pytest.CaptureFixture[str],
) -> None:
    linear, aligned = SCENARIOS["linear-convex"], SCENARIOS["l2-aligns"]
    code, out, err = run_main(capsys, ["compare", "--a", "--scenario linear-convex",
                                       "--b", "--scenario linear-convex --l2 0.05",
                                       "--baseline-runs", "0", "--json"])
    assert (code, err) == (0, "")
    assert json.loads(out)["b"]["step"] == linear.point_step
    code, out, err = run_main(capsys, ["compare", "--a", "--scenario linear-convex",
                                       "--b", "--scenario l2-aligns"])
    assert (code, out) == (2, "")
    assert err == (f"tui-symmetry: error: --a's scene linear-convex makes its point at step "
                   f"{linear.point_step:,} and --b's l2-aligns at {aligned.point_step:,}: "
                   "give --steps N\n")
    code, out, err = run_main(capsys, ["compare", "--b", "--scenario nope"])
    assert (code, out) == (2, "")
    assert err.startswith("tui-symmetry: error: in --b: scenario: 'nope' is not one of ")


def test_sweep_runs_the_scenario_to_its_point() -> None:
    scenario = SCENARIOS["zero-stuck"]
    out, err = io.StringIO(), io.StringIO()
    argv = ["--scenario", "zero-stuck", "--vary", "seed=0,1", "--json"]
    code = run_sweep_command(argv, out, err,
                             executor_factory=lambda *_: ThreadPoolExecutor(max_workers=1))
    assert (code, err.getvalue()) == (0, "")
    runs = json.loads(out.getvalue())["runs"]
    assert [run["summary"]["step"] for run in runs] == [scenario.point_step] * 2
    assert runs[1]["summary"]["config"] == scenario.config.replace(seed=1).to_dict()


def test_steps_given_win_over_the_scenes_point(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["train", "--scenario", "zero-stuck", "--steps", "7", "--json"],
                 ["compare", "--scenario", "zero-stuck", "--steps", "7",
                  "--baseline-runs", "0", "--json"]):
        code, out, _ = run_main(capsys, argv)
        result = json.loads(out)
        assert code == 0 and result.get("a", result)["step"] == 7


@pytest.mark.parametrize("argv", [
    ["train", "--scenario", "nope", "--steps", "5"],
    ["train", "--scenario", "nope", "--steps", "5", "--json"],
    ["--scenario", "nope"],
    ["serve", "--scenario", "nope"],
    ["train", "--scenario", "nope"],  # no --steps: the scene would give them
    ["compare", "--scenario", "nope", "--b", "--init xavier"],
    ["sweep", "--scenario", "nope", "--vary", "seed=0,1"],
])
def test_unknown_scenario_is_one_line_naming_them_all(
    argv: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, argv)
    assert (code, out) == (2, "")
    assert err.startswith("tui-symmetry: error: scenario: 'nope' is not one of ")
    assert err.count("\n") == 1
    assert all(name in err for name in SCENARIOS)


def test_scenario_without_a_name_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, ["train", "--steps", "5", "--scenario"])
    assert code == 2
    assert "--scenario: expected one argument (one of symmetric-stays, " in err


AppCall = tuple[Config, float, "float | None"]


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[AppCall]:
    """A stand-in tui_symmetry.app on a terminal, recording what run_app got."""
    calls: list[AppCall] = []

    def run_app(config: Config, *, fps: float, speed: float | None, **lecture: object) -> int:
        calls.append((config, fps, speed))
        return 0

    module = types.ModuleType("tui_symmetry.app")
    module.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", module)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    return calls


def test_app_opens_the_scenario_at_its_narration_speed(fake_app: list[AppCall]) -> None:
    scenario = SCENARIOS["epsilon-split"]
    assert cli.main(["--scenario", "epsilon-split"]) == 0
    assert cli.main(["--scenario", "epsilon-split", "--speed", "full", "--lr", "0.5"]) == 0
    assert fake_app == [
        (scenario.config, 20.0, scenario.speed),
        (scenario.config.replace(lr=0.5), 20.0, None),  # typed flags win
    ]


# -- the claims, on every seed ------------------------------------------------------------------
#
# one_unit_loss(config) is the one-unit line the loss panel draws: the best loss found for
# one unit on the run's training data (core/one_unit.py, cached per data and activation).


@pytest.mark.parametrize(("name", "seed"), caption_cases())
def test_the_caption_holds(name: str, seed: int) -> None:
    for check in CLAIMS[name]:
        check(seed)


@claim("symmetric-stays")
def check_copies_stay_one_unit(seed: int) -> None:
    scenario = SCENARIOS["symmetric-stays"]
    config = scene("symmetric-stays", seed)
    assert on_default_data(config)
    trainer = Trainer(config)
    for _ in range(6):
        facts = summary(trainer)
        assert facts["distinct_units"] == 1
        assert facts["max_unit_gap"] == 0.0  # bit-identical, not merely close
        trainer.step(scenario.point_step // 6)
    assert trainer.step_count == scenario.point_step
    final = summary(trainer)
    assert final["distinct_units"] == 1 and final["max_unit_gap"] == 0.0

    # Eight copies compute what one unit with their outgoing weights summed computes...
    p = trainer.params
    one = {"W1": p.W1[:1], "b1": p.b1[:1], "W2": p.W2.sum(axis=1, keepdims=True), "b2": p.b2}
    data = trainer.data
    one_loss = data_loss(forward(one, data.X_train, "tanh")[2], data.y_train, "bce")
    assert trainer.train_loss() == pytest.approx(one_loss, rel=1e-12)
    # ...so at no step does the loss go below the best a single unit reaches.
    lowest = min(np.min(trainer.history.arrays()["loss"]), trainer.train_loss())
    assert lowest > one_unit_loss(config)


@claim("random-breaks")
def check_random_units_differ_and_fit_far_below_one_unit(seed: int) -> None:
    config = scene("random-breaks", seed)
    assert on_default_data(config)
    assert summary(Trainer(config))["distinct_units"] > 1  # from step 0
    trainer = at_point("random-breaks", seed)
    facts = summary(trainer)
    assert facts["distinct_units"] > 1
    assert facts["symmetry_index"] < 0.6  # mixed: near chance (about 0.5), far from 1
    assert trainer.train_loss() < one_unit_loss(config) - 0.3


@claim("epsilon-split")
def check_a_tiny_nudge_grows_until_the_copies_split(seed: int) -> None:
    scenario = SCENARIOS["epsilon-split"]
    config = scene("epsilon-split", seed)
    assert summary(Trainer(config))["distinct_units"] == 1  # copies, within the nudge
    trainer = at_point("epsilon-split", seed)
    split = trainer.instruments.splits.first_split  # the first lasting split: the mark
    assert split is not None and 0 < split <= scenario.point_step
    record = trainer.history.arrays()
    steps, loss, spread = record["step"], record["loss"], record["spread"]
    line = one_unit_loss(config)
    # While they are alike (after the first drop from the start) the loss sits on a
    # plateau above the one-unit line...
    alike = (steps >= 200) & (steps < split)
    assert np.all(loss[alike] > line) and np.ptp(loss[alike]) < 0.05
    # ...and the spread climbs on its log axis, a little in every hundred steps and a
    # decade or more in all.
    grid = [np.flatnonzero(steps == step)[0] for step in range(200, split, 100)]
    climbs = spread[grid][1:] / spread[grid][:-1]
    assert np.all(climbs > 1.0) and spread[grid[-1]] > 10 * spread[grid[0]]
    # Then the units split and the loss drops below the line.
    assert trainer.train_loss() < line - 0.05


@claim("epsilon-split")
def check_the_saddle_multiplies_any_small_difference_alike(seed: int) -> None:
    """The caption's "the saddle multiplies their difference": near the all-alike point
    the growth is linear in the difference, so a nudge 100 times smaller stays 100 times
    smaller."""
    config = scene("epsilon-split", seed)
    smaller = trained(config.replace(epsilon=config.epsilon / 100), 401)  # to 400 on
    # The scene's own run (not trained again) and the smaller nudge's, at step 400 of
    # the plateau: a run's history holds the steps before its last.
    spreads = [float(record["spread"][np.flatnonzero(record["step"] == 400)[0]])
               for record in (at_point("epsilon-split", seed).history.arrays(),
                              smaller.history.arrays())]
    assert spreads[0] / spreads[1] == pytest.approx(100.0, rel=0.01)


@claim("zero-stuck")
def check_all_zero_tanh_network_stays_at_ln2(seed: int) -> None:
    trainer = at_point("zero-stuck", seed)
    losses = trainer.history.arrays()["loss"]
    assert len(losses) > 100
    assert np.max(np.abs(losses - LN2)) < 1e-6
    p = trainer.params
    assert not p.W1.any() and not p.b1.any() and not p.W2.any()
    assert summary(trainer)["dead_units"] == trainer.config.hidden


@claim("dropout-breaks")
def check_dropout_alone_splits_exact_copies(seed: int) -> None:
    config = scene("dropout-breaks", seed)
    assert on_default_data(config)
    assert config.epsilon == 0.0 and config.init == "symmetric"
    assert summary(Trainer(config))["max_unit_gap"] == 0.0
    trainer = at_point("dropout-breaks", seed)
    assert trainer.instruments.splits.first_split is not None  # a lasting split, marked
    assert summary(trainer)["distinct_units"] > 1
    assert trainer.train_loss() < one_unit_loss(config)


@claim("small-init-condenses")
def check_tiny_init_units_align_before_they_split(seed: int) -> None:
    scenario = SCENARIOS["small-init-condenses"]
    record = at_point("small-init-condenses", seed).history.arrays()
    index, steps, loss = record["symmetry_index"], record["step"], record["loss"]
    peak = int(np.argmax(index))
    assert index[0] < 0.6  # random directions at first: near chance (0.49), far from 1
    assert index[peak] > 0.99  # then nearly one direction
    assert 0 < steps[peak] < scenario.point_step
    assert index[-1] < index[peak] - 0.25  # and apart again
    assert loss[-1] < loss[peak] - 0.3
    # The scene pauses near the peak, the units lined up and the loss not yet moved.
    assert scenario.pause_at is not None and abs(scenario.pause_at - steps[peak]) <= 300
    paused = np.flatnonzero(steps == scenario.pause_at)[0]
    assert index[paused] > 0.99 and abs(loss[paused] - loss[0]) < 0.01


@claim("tie-collapses")
def check_the_tie_penalty_merges_units_worse_than_one_unit(seed: int) -> None:
    config = scene("tie-collapses", seed)
    start = summary(Trainer(config))
    assert start["symmetry_index"] < 0.6 and start["distinct_units"] > 1
    trainer = at_point("tie-collapses", seed)
    end = summary(trainer)
    assert end["symmetry_index"] > 0.999 and end["distinct_units"] == 1
    # The loss stays above the one-unit line all the way, and ends well above it:
    # worse than one unit can do...
    line = one_unit_loss(config)
    assert np.min(trainer.history.arrays()["loss"]) > line
    assert trainer.train_loss() > line + 0.1
    # ...where the same start without the penalty goes below it (random-breaks' run).
    free = run(config.replace(tie=0.0), SCENARIOS["tie-collapses"].point_step)
    assert free.train_loss() < line


@claim("l1-prunes")
def check_l1_leaves_exact_zeros_and_dead_units(seed: int) -> None:
    config = scene("l1-prunes", seed)
    trainer = at_point("l1-prunes", seed)
    p = trainer.params
    weights = np.concatenate([p.W1.ravel(), p.W2.ravel()])
    assert np.mean(weights == 0.0) > 1 / 3  # many weights exactly zero
    dead = summary(trainer)["dead_units"]
    assert dead >= 3 and config.hidden - dead >= 2  # units blank, and units left
    assert trainer.train_loss() < one_unit_loss(config) - 0.3  # far below the line
    assert trainer.snapshot().accuracy >= 0.95  # the README: they still separate the classes


def kinks(trainer: Trainer) -> np.ndarray:
    """Where each ReLU unit bends: x = −b/w (inf for a unit with w = 0)."""
    p = trainer.params
    with np.errstate(divide="ignore", invalid="ignore"):
        return -p.b1 / p.W1[:, 0]


@claim("sine-basis")
def check_relu_kinks_move_out_to_where_the_sine_bends(seed: int) -> None:
    config = scene("sine-basis", seed)
    assert np.all(kinks(Trainer(config)) == 0.0)  # every unit bends at x = 0
    trainer = at_point("sine-basis", seed)
    x = trainer.data.X_train[:, 0]
    bends = kinks(trainer)
    inside = bends[(bends > x.min()) & (bends < x.max())]
    assert len(inside) >= config.hidden // 2
    assert np.sum(inside < -1 / 6) >= 2 and np.sum(inside > 1 / 6) >= 2  # both sides
    # Where sin(πx) bends: |sin(πx)| ≥ 1/2, half its largest curvature or more.
    assert np.mean(np.abs(np.sin(np.pi * inside)) >= 0.5) >= 0.75
    assert len(np.unique(np.round(inside, 1))) >= 4
    assert trainer.train_loss() < 4 * config.noise ** 2  # near the noise floor


def least_squares_loss(trainer: Trainer) -> float:
    """The best loss of any line through the training data (numpy's lstsq)."""
    data = trainer.data
    A = np.column_stack([data.X_train, np.ones(len(data.X_train))])
    coef = np.linalg.lstsq(A, data.y_train, rcond=None)[0]
    return float(np.mean((A @ coef - data.y_train) ** 2))


OTHER_STARTS = ("normal", "symmetric", "he", "constant", "uniform")
"""One other start per seed, so that the seeds together try each of them."""


@claim("linear-convex")
def check_linear_units_reach_least_squares_from_any_start(seed: int) -> None:
    scenario = SCENARIOS["linear-convex"]
    trainer = at_point("linear-convex", seed)
    other = trained(trainer.config.replace(init=OTHER_STARTS[seed % len(OTHER_STARTS)]),
                    scenario.point_step)
    assert trainer.train_loss() == pytest.approx(least_squares_loss(trainer), rel=1e-8)
    # Another start gets there too, to the four digits the status line shows (a start
    # of smaller units, symmetric or constant, is still 1e-8 to 1e-5 short at 500).
    assert other.train_loss() == pytest.approx(least_squares_loss(other), rel=1e-4)
    # The same line, from units that ended up different.
    assert not np.allclose(trainer.params.W1, other.params.W1)


@claim("l2-aligns")
def check_l2_makes_linear_units_alike(seed: int) -> None:
    scenario = SCENARIOS["l2-aligns"]
    config = scene("l2-aligns", seed)
    assert config.activation == "linear" and config.l2 > 0
    assert summary(Trainer(config))["symmetry_index"] < 0.6  # a random start
    trainer = at_point("l2-aligns", seed)
    index = summary(trainer)["symmetry_index"]
    assert index > 0.9
    # Every unit carries the fitted slope the same way, its outgoing weight equal to
    # its incoming one: the way to share a line at the least weight.
    p = trainer.params
    w, v = p.W1[:, 0], p.W2[0]
    slope = float(np.sum(v * w))
    assert slope > 0 and np.all(v * w > 0)
    assert np.max(np.abs(v - w)) < 0.01 * np.max(np.abs(v))
    # Without the penalty the same start reaches the least-squares line with units far
    # less alike: the penalty is what made them alike.
    free = run(config.replace(l2=0.0), scenario.point_step)
    assert free.train_loss() == pytest.approx(least_squares_loss(free), rel=1e-8)
    assert index > summary(free)["symmetry_index"] + 0.3


# -- the digits scenes -------------------------------------------------------------------------


def check_points(name: str, seed: int) -> tuple[Trainer, list[dict]]:
    """Scenario ``name`` on ``seed`` stepped to its point in four parts, with the unit
    summaries at the start and after each part."""
    scenario = SCENARIOS[name]
    trainer = Trainer(scene(name, seed))
    facts = [summary(trainer)]
    for _ in range(4):
        trainer.step(scenario.point_step // 4)
        facts.append(summary(trainer))
    assert trainer.step_count == scenario.point_step and not trainer.diverged
    return trainer, facts


def train_accuracy(trainer: Trainer) -> float:
    """The status line's accuracy: the training split, the largest logit's class."""
    accuracy = trainer.snapshot().accuracy
    assert accuracy is not None
    return accuracy


@claim("digits-copies-stay-one")
def check_digit_copies_stay_one_picture(seed: int) -> None:
    config = scene("digits-copies-stay-one", seed)
    assert config.dataset == "digits" and config.samples == 1797  # every image
    assert config.init == "symmetric" and config.epsilon == 0.0
    trainer, facts = check_points("digits-copies-stay-one", seed)
    for fact in facts:  # one picture at the start and all the way: bit-identical
        assert fact["distinct_units"] == 1 and fact["max_unit_gap"] == 0.0
    # One unit in disguise: sixteen copies compute what one unit with their outgoing
    # weights summed computes (the reference's forward pass, written apart from the
    # engine), logit for logit...
    p, X = trainer.params, trainer.data.X_train
    one = {"W1": p.W1[:1], "b1": p.b1[:1], "W2": p.W2.sum(axis=1, keepdims=True),
           "b2": p.b2}
    full = {"W1": p.W1, "b1": p.b1, "W2": p.W2, "b2": p.b2}
    logits = forward(one, X, config.activation)[2]
    np.testing.assert_allclose(forward(full, X, config.activation)[2], logits,
                               rtol=0, atol=1e-12)
    # ...and the engine's loss is that one unit's loss.
    labels = np.eye(config.output_dim)[trainer.data.y_train]
    assert trainer.train_loss() == pytest.approx(data_loss(logits, labels, "softmax"),
                                                 rel=1e-12)
    assert trainer.train_loss() > 1.3  # the README's comparison with the next scene
    assert train_accuracy(trainer) < 0.5  # fewer than half (the next scene says so too)


@claim("digits-strokes")
def check_random_digit_units_stay_distinct_and_fit(seed: int) -> None:
    config = scene("digits-strokes", seed)
    copies = scene("digits-copies-stay-one", seed)
    assert config == copies.replace(init="xavier")  # the same run but for the start
    trainer, facts = check_points("digits-strokes", seed)
    for fact in facts:  # different from the first step, all sixteen to the point
        assert fact["distinct_units"] == config.hidden
    assert train_accuracy(trainer) > 0.99
    loss = trainer.train_loss()
    assert loss < 0.06  # the README: where the copies stayed above 1.3
    # The held-out digits (the loss view's confusion matrix), counted a second way:
    # the reference's logits on the test split against the labels.
    confusion = trainer.confusion()
    assert confusion is not None
    p, data = trainer.params, trainer.data
    logits = forward({"W1": p.W1, "b1": p.b1, "W2": p.W2, "b2": p.b2}, data.X_test,
                     config.activation)[2]
    right = int(np.sum(np.argmax(logits, axis=1) == data.y_test))
    assert right == int(np.trace(confusion)) and confusion.sum() == len(data.y_test)
    assert right / len(data.y_test) > 0.95
    # Far below the best loss found for one unit (an upper bound of one unit's best).
    assert loss < one_unit_loss(config) - 1.0


# -- the scenes of experiments (x opens the scene's experiment with its options) ------------


def scene_experiment(name: str, seed: int, steps: int | None = None,
                     **changes: object) -> object:
    """The experiment scene ``name`` names, run headless on its settings at ``seed``
    with its options (``changes`` on top), to its own steps or ``steps``."""
    scenario = SCENARIOS[name]
    assert scenario.experiment is not None
    experiment = scenario.experiment[0]
    options = {**scenario.experiment_options(experiment), **changes}
    own = options.pop("steps", scenario.point_step)
    config = scenario.config.replace(seed=seed)
    return registry.run(ExperimentJob.of(experiment, config, steps or own, **options))


@claim("small-init-condenses")
def check_tiny_init_units_point_two_opposite_ways(seed: int) -> None:
    scenario = SCENARIOS["small-init-condenses"]
    assert scenario.pause_at is not None
    result = scene_experiment("small-init-condenses", seed, steps=scenario.pause_at)
    assert result.steps[-1] == scenario.pause_at
    assert result.counts[-1] == 2 == result.bound  # "just two, the most tanh allows"
    last = np.radians(result.angles[-1])  # "opposite each other": the two are ±d
    first = np.array([np.cos(last[0]), np.sin(last[0])])
    cos = np.cos(last) * first[0] + np.sin(last) * first[1]
    assert np.all(np.abs(np.abs(cos) - 1.0) < 0.01) and cos.min() < -0.99


@claim("duplicate-saddle")
def check_a_copied_unit_makes_a_flat_line_whose_sign_decides(seed: int) -> None:
    out = scene_experiment("duplicate-saddle", seed)
    copy = out.copy
    assert copy.lam == 1.5 and copy.into is None and out.hidden == 3
    assert copy.spread <= 1.2e-12  # the same loss all along the line
    # the sign changes at 0 and 1: on the line the matrix is λ(1 − λ)/n² · B
    inside, outside = list(copy.lambdas).index(0.5), list(copy.lambdas).index(1.5)
    assert copy.smallest[outside] == pytest.approx(-0.6 * copy.largest[inside], rel=1e-3,
                                                   abs=1e-12)
    low = copy.at_lambda[0]
    if low < 0:  # the nudge grows: the copies move apart
        assert low < -1e-3 and out.gap > 1000 * out.start_gap
    else:  # "where it reads 0 they stay together"
        assert low == 0.0 and out.gap < 10 * out.start_gap


@claim("teacher-width")
def check_a_few_more_units_let_every_student_reach_zero(seed: int) -> None:
    result = scene_experiment("teacher-width", seed)
    students = result.losses.shape[1]
    assert result.polished and result.widths == (3, 4, 7) and students == 8
    assert result.reached[-1] == students  # "with four units more every one"
    assert result.reached[0] <= result.reached[-1]
    if seed == 0:  # "on this teacher 5 of 8"
        assert result.reached[0] == 5


# -- the scenes of experiments: the experiment run headless on the scene's settings --------


def scene_result(name: str, experiment: str, seed: int, **options: object) -> object:
    """Experiment ``experiment`` on scene ``name``'s settings at ``seed``, its runs
    trained to the scene's point step."""
    job = ExperimentJob.of(experiment, scene(name, seed), SCENARIOS[name].point_step,
                           **options)
    return registry.run(job)


@claim("recurring-units")
def check_some_units_recur_in_nearly_every_run_and_some_in_few(seed: int) -> None:
    result = scene_result("recurring-units", "seeds", seed, runs=8)
    assert isinstance(result, seeds.SeedsResult)
    recurs = result.recurrence.recurs
    assert result.others == 7 and len(recurs) == 8
    assert recurs.max() >= 6  # "found in nearly every run (6 or 7 of 7)"
    assert recurs.min() <= 3  # "others in 3 or fewer"


@claim("barrier-matching")
def check_matching_removes_most_of_the_barrier(seed: int) -> None:
    result = scene_result("barrier-matching", "barrier", seed)
    assert isinstance(result, barrier.BarrierResult)
    before, after = result.pair.before.height, result.pair.after.height
    loss_a, loss_b = result.pair.before.losses[[0, -1]]
    assert abs(loss_a - loss_b) < 0.2  # "about the same loss"
    assert before > 0.1 and after < 0.05 and after < before / 3


# -- the filter scenes (a conv layer on the digits) -----------------------------------------


def conv_logits(trainer: Trainer, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z (N, K, S, S), logits (N, C)) of ``trainer``'s conv net on ``images`` (N, h, w), by
    the reference's loops over positions (written apart from the engine)."""
    p, k = trainer.params, trainer.config.kernel
    params = {"Wc": p.W1.reshape(-1, 1, k, k), "bc": p.b1, "W2": p.W2, "b2": p.b2}
    z, _, logits = conv_forward(params, images, trainer.config.activation)
    return z, logits


@claim("filters-copies")
def check_filter_copies_stay_one_filter(seed: int) -> None:
    config = scene("filters-copies", seed)
    assert config.arch == "conv" and config.filters == 8 and config.kernel == 3
    assert config.init == "symmetric" and config.epsilon == 0.0
    trainer = at_point("filters-copies", seed)
    snap = trainer.snapshot()
    assert snap.distinct_units == 1 and snap.max_unit_gap == 0.0
    # What the filters view draws: every kernel and every feature map on the chosen image
    # is the first one, bit for bit.
    assert snap.pictures is not None and snap.pictures.images is not None
    kernels, maps = snap.pictures.images.values, snap.feature_maps
    assert maps is not None and len(maps) == 8
    assert all(np.array_equal(kernels[k], kernels[0]) for k in range(8))
    assert all(np.array_equal(maps[k], maps[0]) for k in range(8))


@claim("filters-differ")
def check_random_filters_differ_and_fit_better(seed: int) -> None:
    config = scene("filters-differ", seed)
    copies = scene("filters-copies", seed)
    assert config == copies.replace(init="xavier")  # the same run but for the start
    assert summary(Trainer(config))["distinct_units"] == 8  # from the first step
    trainer = at_point("filters-differ", seed)
    snap = trainer.snapshot()
    assert snap.distinct_units == 8 and snap.feature_maps is not None
    images = trainer.data.X_train.reshape(-1, 8, 8)
    # Eight maps of their own on the image shown, and they are the filters' maps (the
    # reference's pre-activations through tanh, to float32).
    z = conv_logits(trainer, images[snap.image_index:snap.image_index + 1])[0][0]
    np.testing.assert_allclose(snap.feature_maps, np.tanh(z), rtol=0, atol=1e-6)
    assert len({m.tobytes() for m in snap.feature_maps}) == 8
    # More digits right at a lower loss than the copies of one filter (the counter-run:
    # a network of identical filters is one filter), each counted by the reference.
    labels = trainer.data.y_train
    one = at_point("filters-copies", seed)
    right = np.argmax(conv_logits(trainer, images)[1], axis=1) == labels
    right_one = np.argmax(conv_logits(one, images)[1], axis=1) == labels
    assert np.mean(right) == pytest.approx(snap.accuracy, abs=1e-12)  # the status line's
    assert np.mean(right) > np.mean(right_one)
    assert trainer.train_loss() < one.train_loss()
