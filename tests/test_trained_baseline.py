"""Compare's trained baseline: the matched similarity between runs of A's and B's
configurations started independently and trained as long on the same data.

The second way: the same runs trained by tests/reference_mlp.py from the same starts,
and the best pairing found by trying every permutation (H = 4: 24 of them).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import reference_mlp

from tui_symmetry import cli
from tui_symmetry.cli.compare import format_comparison
from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import STREAM_INIT, make_dataset, rng_for
from tui_symmetry.core.init import draw_params
from tui_symmetry.core.matching import cross_similarity
from tui_symmetry.core.network import Params
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.baseline import TrainedBaseline, start_seeds
from tui_symmetry.experiments.compare import compare

A = Config(hidden=4, samples=40, init="xavier", epsilon=0.0, lr=0.5)
B = A.replace(init="he")
STEPS = 60


def reference_run(config: Config, start_seed: int, steps: int) -> Params:
    """``config`` trained ``steps`` full-batch steps by tests/reference_mlp.py from the
    start drawn with ``start_seed``, on ``config``'s own data."""
    data = make_dataset(config)
    start = draw_params(config, rng_for(start_seed, STREAM_INIT))
    params = {name: np.array(getattr(start, name), dtype=float)
              for name in reference_mlp.PARAM_NAMES}
    settings = config.to_dict()
    optimizer = reference_mlp.make_optimizer(settings)
    for _ in range(steps):
        reference_mlp.train_step(params, data.X_train, data.y_train, settings, optimizer,
                                  config.loss)
    return Params(params["W1"], params["b1"], params["W2"], params["b2"])


def best_pairing_mean(params_a: Params, params_b: Params, activation: str) -> float:
    """The matched mean by brute force: the best of every permutation."""
    S = cross_similarity(metrics.unit_vectors(params_a), metrics.unit_vectors(params_b),
                         activation)
    return max(float(np.mean(S[np.arange(len(S)), list(perm)]))
               for perm in itertools.permutations(range(S.shape[1])))


def test_the_baseline_is_every_independent_pair_trained_as_long() -> None:
    baseline = TrainedBaseline(A, B)
    run_a, run_b = Trainer(A), Trainer(B)
    for trainer in (run_a, run_b, *baseline.trainers):
        trainer.step(STEPS)
    found = baseline.measure(run_a.params, run_b.params)

    seeds_a, seeds_b = start_seeds(A, B)
    assert seeds_a[0] == A.seed and seeds_b[0] == B.seed
    assert len(set(seeds_a[1:]) | set(seeds_b[1:]) | {A.seed, B.seed}) == (
        len(seeds_a) + len(seeds_b) - 1)  # every extra start its own
    runs_a = [reference_run(A, seed, STEPS) for seed in seeds_a]
    runs_b = [reference_run(B, seed, STEPS) for seed in seeds_b]
    means = [best_pairing_mean(runs_a[i], runs_b[j], "tanh")
             for i in range(len(runs_a)) for j in range(len(runs_b)) if (i, j) != (0, 0)]
    assert found.pairs == len(means) >= 3
    assert found.mean == pytest.approx(np.mean(means), abs=1e-9)
    assert found.std == pytest.approx(np.std(means), abs=1e-9)


def test_copies_of_one_run_are_not_their_own_baseline() -> None:
    # A and B the very same run: matched at 1 exactly; other starts of the same
    # configuration, trained as long, are not copies of it.
    result = compare(A, A, STEPS)
    assert result.matching.mean == pytest.approx(1.0, abs=1e-12)
    assert result.matching.trained < 0.999
    assert result.matching.trained_pairs >= 3


def test_compare_prints_the_trained_baseline_with_what_it_is(
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", "--a", "--init xavier", "--b", "--init he", "--hidden", "4",
            "--samples", "40", "--epsilon", "0", "--lr", "0.5", "--steps", str(STEPS)]
    assert cli.main(argv) == 0
    report = capsys.readouterr().out
    row = next(line for line in report.splitlines() if line.startswith("trained apart"))
    assert "other starts" in row and "same data" in row and f"{STEPS:,} steps" in row
    assert "chance" in report and "untrained" in report

    assert cli.main([*argv, "--json"]) == 0
    matching = json.loads(capsys.readouterr().out)["matching"]
    result = compare(A, B, STEPS)
    assert matching["trained"] == pytest.approx(result.matching.trained, abs=1e-12)
    assert matching["trained_std"] == pytest.approx(result.matching.trained_std, abs=1e-12)
    assert matching["trained_pairs"] == result.matching.trained_pairs
    assert f"{result.matching.trained:.3f} ± {result.matching.trained_std:.3f}" in (
        format_comparison(result, STEPS))


def test_runs_that_cannot_be_matched_have_no_baseline() -> None:
    result = compare(A, A.replace(activation="relu"), 5)
    assert result.matching.reason is not None
    assert result.matching.to_dict()["trained"] is None


def test_baseline_runs_trade_time_for_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", "--b", "--init he", "--hidden", "4", "--samples", "40", "--steps", "20",
            "--json"]
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["matching"]["trained_pairs"] == 8  # 3 × 3 − 1
    assert cli.main([*argv, "--baseline-runs", "0"]) == 0
    matching = json.loads(capsys.readouterr().out)["matching"]
    assert matching["trained"] is None and matching["trained_pairs"] == 0
    assert cli.main([*argv[:-1], "--baseline-runs", "0"]) == 0
    report = capsys.readouterr().out
    assert "trained apart" not in report and "chance" in report
    assert cli.main([*argv, "--baseline-runs", "11"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tui-symmetry: error: baseline-runs") and "[0, 10]" in err


def test_the_app_pair_carries_the_baseline_the_command_reports() -> None:
    from tui_symmetry.app.compare_screen import matching_text
    from tui_symmetry.experiments.lockstep import Lockstep, PairConfig

    lockstep = Lockstep(PairConfig(A, B))
    lockstep.step(25)
    lockstep.step(STEPS - 25)  # chunks change nothing
    picture = lockstep.snapshot()
    command = compare(A, B, STEPS).matching
    assert picture.matching.trained_pairs == command.trained_pairs == 8
    assert picture.matching.trained == command.trained
    assert picture.matching.trained_std == command.trained_std
    text = matching_text(picture.matching)
    assert f"trained apart {command.trained:.3f} ± {command.trained_std:.3f}" in text
    assert f"chance {command.chance:.3f}" in text and len(text) <= 78  # 80 columns
