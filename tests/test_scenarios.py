"""Built-in scenarios: the list, ``--scenario`` on the command line, and the
claim of every caption, checked by running the scenario headless.

A claim test runs the scenario's own configuration (to its ``point_step``, the step by
which the caption says the point is made) and asserts what the caption promises, with
a counter-run where the claim is a comparison.  Every scenario must have one: see
``test_every_scenario_has_a_claim_test``.
"""

from __future__ import annotations

import json
import math
import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from reference_mlp import data_loss, forward

from tui_symmetry import cli
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import data_key
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.scenarios import SCENARIOS, Scenario, UnknownScenario, get_scenario

LN2 = math.log(2.0)

REQUIRED = ("symmetric-stays", "zero-stuck", "epsilon-split", "random-breaks",
            "dropout-breaks", "small-init-condenses", "tie-collapses", "l1-prunes",
            "sine-basis", "linear-convex")

CLAIMED: set[str] = set()


def claim(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Mark a test as the check of scenario ``name``'s caption."""
    CLAIMED.add(name)
    return lambda test: test


def trained(config: Config, steps: int) -> Trainer:
    trainer = Trainer(config)
    trainer.step(steps)
    assert trainer.step_count == steps and not trainer.diverged
    return trainer


def at_point(name: str) -> Trainer:
    scenario = SCENARIOS[name]
    return trained(scenario.config, scenario.point_step)


def summary(trainer: Trainer) -> dict:
    return metrics.summarize(trainer.params, trainer.config.activation)


@pytest.fixture(scope="module")
def one_unit_line() -> float:
    """The lowest training loss found for ONE hidden unit on the default data.

    Adam from a random start, long enough to settle: an upper bound of the true
    minimum, so "no lower than this" can only be too strict, never too lenient.
    """
    one = Config(hidden=1, init="xavier", epsilon=0.0, optimizer="adam", lr=0.05)
    return trained(one, 5000).train_loss()


def on_default_data(config: Config) -> bool:
    defaults = Config()
    return data_key(config) == data_key(defaults)


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


def test_every_scenario_has_a_claim_test() -> None:
    assert set(SCENARIOS) == CLAIMED


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


@pytest.mark.parametrize("argv", [
    ["train", "--scenario", "nope", "--steps", "5"],
    ["train", "--scenario", "nope", "--steps", "5", "--json"],
    ["--scenario", "nope"],
    ["serve", "--scenario", "nope"],
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
    monkeypatch.setattr(cli, "has_terminal", lambda: True)
    return calls


def test_app_opens_the_scenario_at_its_narration_speed(fake_app: list[AppCall]) -> None:
    scenario = SCENARIOS["epsilon-split"]
    assert cli.main(["--scenario", "epsilon-split"]) == 0
    assert cli.main(["--scenario", "epsilon-split", "--speed", "full", "--lr", "0.5"]) == 0
    assert fake_app == [
        (scenario.config, 20.0, scenario.speed),
        (scenario.config.replace(lr=0.5), 20.0, None),  # typed flags win
    ]


# -- the claims ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def symmetric_stays() -> Trainer:
    return at_point("symmetric-stays")


@claim("symmetric-stays")
def test_symmetric_copies_stay_one_unit(symmetric_stays: Trainer, one_unit_line: float) -> None:
    scenario = SCENARIOS["symmetric-stays"]
    assert on_default_data(scenario.config)
    trainer = Trainer(scenario.config)
    for _ in range(6):
        facts = summary(trainer)
        assert facts["distinct_units"] == 1
        assert facts["max_unit_gap"] == 0.0  # bit-identical, not merely close
        trainer.step(scenario.point_step // 6)
    final = summary(symmetric_stays)
    assert final["distinct_units"] == 1 and final["max_unit_gap"] == 0.0

    # Eight copies compute what one unit with their outgoing weights summed computes...
    p = symmetric_stays.params
    one = {"W1": p.W1[:1], "b1": p.b1[:1], "W2": p.W2.sum(axis=1, keepdims=True), "b2": p.b2}
    data = symmetric_stays.data
    one_loss = data_loss(forward(one, data.X_train, "tanh")[2], data.y_train, False)
    loss = symmetric_stays.train_loss()
    assert loss == pytest.approx(one_loss, rel=1e-12)
    # ...so the loss cannot go below the best a single unit reaches.
    assert loss >= one_unit_line - 1e-3


@claim("random-breaks")
def test_random_units_differ_and_fit_below_one_unit(symmetric_stays: Trainer,
                                                    one_unit_line: float) -> None:
    scenario = SCENARIOS["random-breaks"]
    assert on_default_data(scenario.config)
    assert summary(Trainer(scenario.config))["distinct_units"] > 1  # from step 0
    trainer = at_point("random-breaks")
    assert summary(trainer)["distinct_units"] > 1
    loss = trainer.train_loss()
    assert loss < symmetric_stays.train_loss()
    assert loss < one_unit_line


def split_step(config: Config, until: int, every: int = 10) -> tuple[int | None, dict[int, float]]:
    """The first lasting split (core/lasting.py) known by step ``until``, the one the
    app marks, and the gap between units at each grid step (of ``every``) before it."""
    trainer = Trainer(config)
    gaps: dict[int, float] = {}
    tracker = trainer.instruments.splits
    while trainer.step_count < until and tracker.first_split is None:
        gaps[trainer.step_count] = summary(trainer)["max_unit_gap"]
        trainer.step(every)
    split = tracker.first_split
    return split, {step: gap for step, gap in gaps.items() if split is None or step < split}


@claim("epsilon-split")
def test_a_tiny_nudge_grows_and_a_smaller_one_splits_later() -> None:
    scenario = SCENARIOS["epsilon-split"]
    config = scenario.config
    split, gaps = split_step(config, scenario.point_step)
    assert split is not None and 0 < split <= scenario.point_step  # 1 unit, then more
    smaller = config.replace(epsilon=config.epsilon / 100)
    later, small_gaps = split_step(smaller, 3 * scenario.point_step)
    assert later is not None and later > split
    # While the difference is small it grows at a rate that does not depend on its
    # size (the linearized saddle): the gaps of the two runs keep the ratio of the ε's.
    ratio = gaps[500] / small_gaps[500]
    assert ratio == pytest.approx(100.0, rel=0.01)
    # It multiplies, by a fifth or more in every hundred steps, yet for the first
    # thousand steps it stays below 0.02, invisible next to weights of order 0.1 to 1.
    window = np.array([gaps[step] for step in range(0, split, 100)])
    assert np.all(window[1:] > 1.2 * window[:-1])
    assert gaps[1000] < 0.02 < gaps[max(gaps)]  # the last grid step before the split


@claim("zero-stuck")
def test_all_zero_tanh_network_stays_at_ln2() -> None:
    trainer = at_point("zero-stuck")
    losses = trainer.history.arrays()["loss"]
    assert len(losses) > 100
    assert np.max(np.abs(losses - LN2)) < 1e-6
    p = trainer.params
    assert not p.W1.any() and not p.b1.any() and not p.W2.any()
    assert summary(trainer)["dead_units"] == trainer.config.hidden


@claim("dropout-breaks")
def test_dropout_alone_splits_exact_copies(one_unit_line: float) -> None:
    scenario = SCENARIOS["dropout-breaks"]
    assert on_default_data(scenario.config)
    assert scenario.config.epsilon == 0.0 and scenario.config.init == "symmetric"
    assert summary(Trainer(scenario.config))["max_unit_gap"] == 0.0
    trainer = at_point("dropout-breaks")
    assert summary(trainer)["distinct_units"] > 1
    assert trainer.train_loss() < one_unit_line


@claim("tie-collapses")
def test_the_tie_penalty_merges_units_and_costs_fit() -> None:
    scenario = SCENARIOS["tie-collapses"]
    start = summary(Trainer(scenario.config))
    assert start["symmetry_index"] < 0.6 and start["distinct_units"] > 1
    trainer = at_point("tie-collapses")
    end = summary(trainer)
    assert end["symmetry_index"] > 0.999 and end["distinct_units"] == 1
    free = trained(scenario.config.replace(tie=0.0), scenario.point_step)
    assert trainer.train_loss() > free.train_loss() + 0.3


@claim("l1-prunes")
def test_l1_leaves_exact_zeros_and_dead_units() -> None:
    trainer = at_point("l1-prunes")
    p = trainer.params
    weights = np.concatenate([p.W1.ravel(), p.W2.ravel()])
    assert np.mean(weights == 0.0) > 0.5  # most weights exactly zero
    dead = summary(trainer)["dead_units"]
    assert trainer.config.hidden - dead == 2  # "the two units left"
    assert trainer.snapshot().accuracy >= 0.9


@claim("small-init-condenses")
def test_tiny_init_units_align_before_they_split() -> None:
    scenario = SCENARIOS["small-init-condenses"]
    trainer = at_point("small-init-condenses")
    history = trainer.history.arrays()
    index, steps = history["symmetry_index"], history["step"]
    peak = int(np.argmax(index))
    assert index[0] < 0.6  # random directions at first: near chance (0.49), far from 1
    assert index[peak] > 0.99  # then nearly one direction
    assert 0 < steps[peak] < scenario.point_step
    assert index[-1] < index[peak] - 0.25  # and apart again
    assert history["loss"][-1] < history["loss"][peak] - 0.3
    if scenario.pause_at is not None:  # the scene pauses near the peak
        assert abs(scenario.pause_at - steps[peak]) <= 300


def kinks(trainer: Trainer) -> np.ndarray:
    """Where each ReLU unit bends: x = −b/w (inf for a unit with w = 0)."""
    p = trainer.params
    with np.errstate(divide="ignore", invalid="ignore"):
        return -p.b1 / p.W1[:, 0]


@claim("sine-basis")
def test_relu_kinks_spread_over_the_input() -> None:
    scenario = SCENARIOS["sine-basis"]
    start = Trainer(scenario.config)
    assert np.all(kinks(start) == 0.0)  # every unit bends at x = 0
    trainer = at_point("sine-basis")
    x = trainer.data.X_train[:, 0]
    bends = kinks(trainer)
    inside = bends[(bends > x.min()) & (bends < x.max())]
    assert len(inside) >= scenario.config.hidden // 2
    assert np.ptp(inside) > 1.0  # spread over more than half of [-1, 1]
    assert len(np.unique(np.round(inside, 1))) >= 4
    assert trainer.train_loss() < 4 * scenario.config.noise ** 2  # near the noise floor


@claim("linear-convex")
def test_linear_units_reach_least_squares_from_any_start() -> None:
    scenario = SCENARIOS["linear-convex"]
    finals = []
    for init in ("xavier", "normal", "symmetric", "he", "constant"):
        trainer = trained(scenario.config.replace(init=init), scenario.point_step)
        data = trainer.data
        A = np.column_stack([data.X_train, np.ones(len(data.X_train))])
        coef = np.linalg.lstsq(A, data.y_train, rcond=None)[0]
        optimum = float(np.mean((A @ coef - data.y_train) ** 2))
        assert trainer.train_loss() == pytest.approx(optimum, rel=1e-8, abs=1e-12), init
        finals.append(trainer.params.W1.ravel().copy())
    # The same line, from units that ended up different.
    assert not np.allclose(finals[0], finals[1])
