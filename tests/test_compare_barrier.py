"""compare reports the barrier between A and B, before and after B's units are matched
to A's: the experiment's numbers for the same two runs, in text and JSON; none (with
the reason) when no straight line joins the runs on common data."""

from __future__ import annotations

import json

import pytest

from tui_symmetry.cli import main
from tui_symmetry.core import Config, Trainer
from tui_symmetry.experiments.barrier import barriers, height_words

SHARED = ["--samples", "40", "--hidden", "4", "--init", "xavier", "--dataset", "moons"]


def compare_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    status = main(["compare", *SHARED, "--baseline-runs", "0", "--steps", "60", "--json",
                   *extra])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    return json.loads(out)


def test_compare_s_barrier_is_the_line_between_its_two_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    document = compare_json(capsys, "--b", "--lr 0.5")
    config_a = Config(samples=40, hidden=4, init="xavier", dataset="moons")
    run_a, run_b = Trainer(config_a), Trainer(config_a.replace(lr=0.5))
    run_a.step(60)
    run_b.step(60)
    data = run_a.data
    expected = barriers(config_a, data.X_train, data.y_train, run_a.params, run_b.params)
    assert list(document)[3:] == ["barrier_t", "barrier_before", "barrier_after",
                                  "barrier_losses_before", "barrier_losses_after",
                                  "barrier_reason"]
    assert document["barrier_before"] == pytest.approx(expected.before.height, abs=1e-15)
    assert document["barrier_after"] == pytest.approx(expected.after.height, abs=1e-15)
    assert document["barrier_losses_before"][0] == pytest.approx(
        document["a"]["loss"], abs=1e-12)
    assert document["barrier_losses_after"][-1] == pytest.approx(
        document["b"]["loss"], abs=1e-12)
    assert document["barrier_reason"] is None


@pytest.mark.parametrize(("b", "reason"), [
    ("--hidden 5", "A and B have different numbers of units (4, 5)"),
    ("--seed 1", "A and B learn different data"),
    ("--activation relu", "A and B use different activations"),
])
def test_no_barrier_without_a_line_on_common_data(b: str, reason: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    document = compare_json(capsys, "--b", b)
    assert document["barrier_before"] is None and document["barrier_t"] is None
    assert document["barrier_reason"].startswith(reason)


def test_the_report_says_both_heights(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["compare", *SHARED, "--baseline-runs", "0", "--steps", "60",
                   "--b", "--lr 0.5"])
    out, _ = capsys.readouterr()
    document = compare_json(capsys, "--b", "--lr 0.5")
    [row] = [line for line in out.splitlines() if line.startswith("barrier A → B")]
    before, after = document["barrier_before"], document["barrier_after"]
    assert status == 0
    words = f"{height_words(before)} before matching, {height_words(after)} after"
    assert row.removeprefix("barrier A → B").strip().startswith(words)
