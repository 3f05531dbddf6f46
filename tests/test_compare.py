"""``tui-symmetry compare`` and the unit matching behind it (docs/contracts.md, "compare").

Runs are short (a few hundred steps on 80 points) and trained explicitly: nothing here
depends on the machine's speed.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tui_symmetry import cli
from tui_symmetry.core import matching
from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import Config
from tui_symmetry.core.init import init_params
from tui_symmetry.core.network import ACTIVATIONS, Params
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.compare import compare

SHARED = ["--samples", "80", "--hidden", "6"]
STEPS = 300


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def random_params(H: int, rng: np.random.Generator, D: int = 2) -> Params:
    """Units spread over every coordinate (biases too), unlike an init's zero biases."""
    return Params(W1=rng.normal(size=(H, D)), b1=rng.normal(size=H),
                  W2=rng.normal(size=(1, H)), b2=rng.normal(size=1))


def permuted(params: Params, P: np.ndarray, signs: np.ndarray | None = None) -> Params:
    """Unit j of the result is unit P[j] of ``params`` (times signs[j], in and out)."""
    s = np.ones(len(P)) if signs is None else signs
    return Params(W1=params.W1[P] * s[:, None], b1=params.b1[P] * s,
                  W2=params.W2[:, P] * s, b2=params.b2.copy())


# -- matching ---------------------------------------------------------------------------


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("H", [1, 2, 8, 64])
def test_matching_recovers_a_known_permutation_exactly(activation: str, H: int) -> None:
    rng = np.random.default_rng(H)
    A = random_params(H, rng)
    P = rng.permutation(H)
    B = permuted(A, P)
    b_for_a, similarities = matching.matched_similarities(A, B, activation)
    np.testing.assert_array_equal(b_for_a, np.argsort(P))  # the inverse permutation
    # Undoing it gives A back, bit for bit.
    undone = permuted(B, b_for_a)
    for name in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(getattr(undone, name), getattr(A, name))
    # A unit against its own copy: cosine 1 up to the last bits of the dot product.
    np.testing.assert_allclose(similarities, 1.0, rtol=0, atol=1e-12)


def test_matching_sees_through_sign_flips_for_odd_activations() -> None:
    rng = np.random.default_rng(3)
    A = random_params(8, rng)
    P = rng.permutation(8)
    signs = np.where(rng.random(8) < 0.5, -1.0, 1.0)
    B = permuted(A, P, signs)
    # tanh: u and −u are one unit, so the flipped copies are still perfect partners.
    b_for_a, similarities = matching.matched_similarities(A, B, "tanh")
    np.testing.assert_array_equal(b_for_a, np.argsort(P))
    np.testing.assert_allclose(similarities, 1.0, rtol=0, atol=1e-12)
    # relu: −u is another unit; the flipped ones score below 1 (cosine −1 to their copy).
    _, similarities = matching.matched_similarities(A, B, "relu")
    assert similarities.min() < 0.999


def test_matching_of_different_sizes_pairs_the_smaller_network_completely() -> None:
    rng = np.random.default_rng(4)
    A = random_params(8, rng)
    keep = np.array([5, 1, 6])  # B: three of A's units, reordered
    B = permuted(A, keep)
    b_for_a, similarities = matching.matched_similarities(A, B, "tanh")
    assert [int(j) for j in b_for_a[keep]] == [0, 1, 2]
    others = np.setdiff1d(np.arange(8), keep)
    assert (b_for_a[others] == matching.UNMATCHED).all()
    assert np.isnan(similarities[others]).all()
    # The other way round every unit of A (now the small one) finds its copy.
    b_for_a, similarities = matching.matched_similarities(B, A, "tanh")
    np.testing.assert_array_equal(b_for_a, keep)
    np.testing.assert_allclose(similarities, 1.0, rtol=0, atol=1e-12)


def test_cross_similarity_is_the_within_run_measure() -> None:
    rng = np.random.default_rng(5)
    A, B = random_params(4, rng), random_params(3, rng)
    for activation in ACTIVATIONS:
        S_ab = matching.cross_similarity(
            matching.metrics.unit_vectors(A), matching.metrics.unit_vectors(B), activation)
        joint = Params(W1=np.vstack([A.W1, B.W1]), b1=np.concatenate([A.b1, B.b1]),
                       W2=np.hstack([A.W2, B.W2]), b2=A.b2)
        within = matching.metrics.summarize(joint, activation)["similarity"]
        np.testing.assert_array_equal(S_ab, within[:4, 4:])


def test_chance_level_is_what_independent_random_starts_give() -> None:
    config = Config(init="xavier", hidden=8)
    chance, spread = matching.chance_matched_mean(config, config)
    assert 0.0 < chance < 1.0
    assert 0.0 < spread < 0.5
    # Fixed seeds: the same number every time (and the cache hands it back).
    assert matching.chance_matched_mean(config, config) == (chance, spread)
    # Starts the Monte Carlo never drew (its seeds are 0 .. 2·trials) land around it.
    pairs = 40
    means = [
        matching.matched_mean(init_params(config.replace(seed=10_000 + 2 * k)),
                              init_params(config.replace(seed=10_001 + 2 * k)), "tanh")
        for k in range(pairs)
    ]
    assert abs(np.mean(means) - chance) < 3 * spread / np.sqrt(pairs)
    # And a matched mean is a maximum over pairings: above the mean similarity of a
    # random pair of units in one such start.
    assert chance > symmetry_chance(config)


def test_chance_level_follows_the_starts_structure() -> None:
    xavier = Config(init="xavier", hidden=8)
    symmetric = Config(init="symmetric", hidden=8)
    # A symmetric start is one unit copied: no pairing can do better than the plain mean,
    # so its chance level is lower than between two spread-out starts.
    assert (matching.chance_matched_mean(symmetric, xavier)[0]
            < matching.chance_matched_mean(xavier, xavier)[0])
    # Only the start matters: the seed, the data and the training settings do not.
    assert (matching.chance_matched_mean(xavier.replace(seed=7, lr=0.5, samples=50), xavier)
            == matching.chance_matched_mean(xavier, xavier))
    # All-zero units have no direction: similarity 0 to everything.
    zeros = Config(init="zeros", hidden=4, epsilon=0)
    assert matching.chance_matched_mean(zeros, zeros) == (0.0, 0.0)


def test_runs_that_cannot_be_matched_say_why() -> None:
    a, b = Config(), Config(activation="relu")
    result = matching.match_runs(a, init_params(a), b, init_params(b))
    assert "different activations (tanh, relu)" in result.reason
    d = result.to_dict()
    assert d["mean"] is None and d["b_for_a"] is None and d["chance"] is None
    sine = Config(dataset="sine")
    assert "different inputs" in matching.comparable(a, sine)


# -- the command ------------------------------------------------------------------------


def train_json(capsys: pytest.CaptureFixture[str], options: list[str]) -> dict:
    code, out, err = run_main(capsys, ["train", *options, "--steps", str(STEPS), "--json"])
    assert (code, err) == (0, "")
    return json.loads(out)


def without_speed(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key != "steps_per_s"}


def test_each_run_equals_train_with_the_same_options_bit_for_bit(
        capsys: pytest.CaptureFixture[str]) -> None:
    # B draws minibatches and dropout masks: its random streams must not notice the
    # lockstep chunks either.
    a_options = ["--init", "symmetric"]
    b_options = ["--init", "xavier", "--batch-size", "16", "--dropout", "0.1", "--lr", "0.5"]
    code, out, err = run_main(capsys, ["compare", "--a", " ".join(a_options),
                                       "--b", " ".join(b_options), *SHARED,
                                       "--steps", str(STEPS), "--json"])
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert without_speed(document["a"]) == without_speed(train_json(capsys, SHARED + a_options))
    assert without_speed(document["b"]) == without_speed(train_json(capsys, SHARED + b_options))
    # And the parameters themselves, against one uninterrupted run each.
    config_a = Config(samples=80, hidden=6, init="symmetric")
    config_b = Config(samples=80, hidden=6, init="xavier", batch_size=16, dropout=0.1, lr=0.5)
    result = compare(config_a, config_b, STEPS)
    for config, snapshot in ((config_a, result.a), (config_b, result.b)):
        trainer = Trainer(config)
        trainer.step(STEPS)
        for name in ("W1", "b1", "W2", "b2"):
            np.testing.assert_array_equal(getattr(snapshot.params, name),
                                          getattr(trainer.params, name))


def test_a_diverging_run_stops_and_the_other_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    diverging = ["--dataset", "sine", "--activation", "relu", "--init", "xavier",
                 "--epsilon", "0", "--lr", "100"]
    calm = ["--dataset", "sine", "--activation", "relu", "--init", "xavier", "--epsilon", "0"]
    code, out, _ = run_main(capsys, ["compare", "--a", " ".join(diverging),
                                     "--b", " ".join(calm), "--steps", str(STEPS), "--json"])
    assert code == 0
    document = json.loads(out)
    assert document["a"]["diverged"] and document["a"]["step"] < STEPS
    assert not document["b"]["diverged"] and document["b"]["step"] == STEPS
    assert without_speed(document["a"]) == without_speed(train_json(capsys, diverging))
    assert document["matching"]["mean"] is not None


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", "--b", "--init xavier", *SHARED,
                                       "--steps", "50", "--json"])
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    document = json.loads(out)
    assert list(document) == ["a", "b", "matching", "barrier_t", "barrier_before",
                              "barrier_after", "barrier_losses_before",
                              "barrier_losses_after", "barrier_reason"]
    assert list(document["a"]) == list(document["b"]) == list(
        Trainer(Config()).snapshot().summary())
    m = document["matching"]
    assert list(m) == ["b_for_a", "similarities", "mean", "chance", "chance_std", "trained",
                       "trained_std", "trained_pairs", "reason"]
    assert sorted(m["b_for_a"]) == list(range(6))
    assert len(m["similarities"]) == 6
    assert m["mean"] == pytest.approx(np.mean(m["similarities"]))
    assert 0 < m["chance"] < 1 and m["chance_std"] > 0 and m["reason"] is None
    # The options: A is the shared ones, B adds its own.
    assert document["a"]["config"]["init"] == "symmetric"
    assert document["b"]["config"]["init"] == "xavier"
    assert document["a"]["config"]["hidden"] == document["b"]["config"]["hidden"] == 6


def test_side_options_override_shared_ones(capsys: pytest.CaptureFixture[str]) -> None:
    # One word (--a=--hidden=3) or quoted words (--b "..."), before or after shared flags.
    code, out, _ = run_main(capsys, ["compare", "--hidden", "4", "--a=--hidden=3",
                                     "--lr", "0.3", "--b", "--lr 0.1 --seed 2",
                                     "--samples", "40", "--steps", "5", "--json"])
    assert code == 0
    a, b = (json.loads(out)[side]["config"] for side in ("a", "b"))
    assert (a["hidden"], a["lr"], a["seed"], a["samples"]) == (3, 0.3, 0, 40)
    assert (b["hidden"], b["lr"], b["seed"], b["samples"]) == (4, 0.1, 2, 40)


def test_report_sets_the_runs_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", "--a", "--init symmetric --epsilon 0",
                                       "--b", "--init xavier", *SHARED,
                                       "--steps", str(STEPS)])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(r" +A +B", lines[0])
    assert re.fullmatch(r"init +symmetric +xavier", lines[1])
    assert re.fullmatch(r"epsilon +0\.0 +0\.0001", lines[2])
    assert re.fullmatch(r"distinct units +1 / 6 +\d / 6", next(
        line for line in lines if line.startswith("distinct units")))
    assert re.search(r"^matched similarity +0\.\d{3}\n"
                     r"trained apart +0\.\d{3} ± 0\.\d{3}  \(8 pairs of A and B from other "
                     r"starts, same data, [\d,]+ steps\)\n"
                     r"chance +0\.\d{3} ± 0\.\d{3}  \(independent random starts, untrained\)$",
                     out, re.MULTILINE)
    # A symmetric start without a nudge never splits: one unit, stuck on the plateau.
    assert re.fullmatch(r"A: 1 distinct unit, loss \d\.\d{3} · B: \d distinct, loss \d\.\d{3}",
                        lines[-1])


def test_report_leaves_a_row_blank_for_the_run_that_has_none(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, ["compare", "--a", "--dataset sine", *SHARED,
                                     "--steps", "5"])
    assert code == 0
    accuracy = next(line for line in out.splitlines() if line.startswith("accuracy"))
    assert re.fullmatch(r"accuracy +\d+\.\d %", accuracy)  # B's only, in B's column
    assert accuracy.index("%") > out.splitlines()[0].index("B")
    assert "matched similarity  none: A and B see different inputs" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--a", "--lr -1"], "in --a: lr: '-1' is out of range; use a number in (0, 100]"),
    (["--b", "--init foo"], "in --b: init: 'foo' is not one of"),
    (["--b", "--steps 5"], "in --b: unrecognized arguments: --steps 5"),
    (["--a", "--lr 0.1 --json"], "in --a: unrecognized arguments: --json"),
    (["--a", '--init "xavier'], "in --a: no closing quotation"),
    (["--a", "--samples 4 --test-fraction 0.9"], "in --a: samples: 4 with test-fraction"),
    (["--b", "--config missing.toml"], "in --b: cannot read config missing.toml"),
    (["--lr", "0", "--b", "--lr 0.1"], "error: lr: '0' is out of range"),
    (["--a", "--b", "--init xavier"], "argument --a: expected one argument (run options"),
    (["--c", "x"], "unrecognized arguments: --c x"),
])
def test_bad_options_are_one_line_naming_the_run(capsys: pytest.CaptureFixture[str],
                                                 argv: list[str], message: str) -> None:
    code, out, err = run_main(capsys, ["compare", *argv, "--steps", "5"])
    assert (code, out) == (2, "")
    assert err.startswith("tui-symmetry: error: ") and err.count("\n") == 1
    assert message in err


def test_steps_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, ["compare", "--b", "--init xavier"])
    assert code == 2
    assert err == ("tui-symmetry: error: compare needs --steps N "
                   "(an integer in [1, 1000000000]), or --scenario NAME to run a scene "
                   "to its point step\n")


def test_the_command_is_listed_and_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, ["--help"])
    assert code == 0 and re.search(r"^  compare  ", out, re.MULTILINE)
    code, out, _ = run_main(capsys, ["compare", "--help"])
    assert code == 0
    assert "--a \"OPTIONS\"" in out and "--init" in out and "--steps N" in out
    code, _, err = run_main(capsys, ["comparee"])
    assert code == 2 and "the commands are train, compare, scenarios, serve" in err
