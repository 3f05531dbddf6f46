"""The split tracker (core/splits.py): its movement bound, its raw events and the
lasting splits and merges derived from them (docs/maths.md, "Splits")."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math

import numpy as np
import pytest
from conftest import run_panels
from scipy.cluster.hierarchy import linkage
from textual.pilot import Pilot

from tui_symmetry import cli
from tui_symmetry.app.widgets import LossPanel
from tui_symmetry.cli.sweep import csv_text
from tui_symmetry.core import Config, Snapshot, Trainer
from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.lasting import LASTING_STEPS, LastingCount, lasting_changes
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, count_groups, summarize
from tui_symmetry.core.network import ParamLayout, unit_shape
from tui_symmetry.core.similarity import similarity_matrix
from tui_symmetry.core.splits import SplitTracker
from tui_symmetry.experiments.sweep import Run


def _theta(units: np.ndarray) -> np.ndarray:
    """A flat parameter vector (network.ParamLayout) holding ``units`` (H, D + 2)."""
    return np.concatenate([units[:, :-1].ravel(), units[:, -1], [0.0]])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_no_pair_the_tracker_vouches_for_leaves_its_interval(activation: str) -> None:
    # The tracker vouches for a pair while its units' turn bounds add up to less than
    # the pair's room (core/splits.py): after a path ℓ of p = [w, b] a unit has turned at
    # most −ln(1 − ℓ/‖p‖).  Turn both units' p along arcs, step by step, in the plane of
    # the two (towards or away from each other: the most a turn moves S), by angles whose
    # bounds use up to the whole room, with zero outgoing weights (watched, so they
    # stay) on none, one or both; wherever the tracker computed nothing, the pair must
    # have stayed in its interval at every step, and it must have come close to its end.
    rng = np.random.default_rng(11)
    layout = ParamLayout(2, 2)
    steps = 12
    vouched, worst = 0, 0.0
    for trial in range(80):
        p = rng.standard_normal(3)
        p /= np.linalg.norm(p)
        other = rng.standard_normal(3)
        other -= (other @ p) * p
        other /= np.linalg.norm(other)
        angle = rng.uniform(0.01, 0.4)  # around the threshold's angle (0.14-0.2)
        q = np.cos(angle) * p + np.sin(angle) * other
        units = np.zeros((2, 4))
        units[0, :3] = p * rng.uniform(0.1, 3.0)
        units[1, :3] = q * rng.uniform(0.1, 3.0) * rng.choice([-1.0, 1.0])
        units[:, 3] = rng.uniform(0.2, 2.0, 2) * rng.choice([-1.0, 1.0], 2)
        units[: trial % 3, 3] = 0.0
        tracker = SplitTracker(layout, activation, _theta(units))
        lower, upper = tracker._lower[0], tracker._upper[0]
        before = similarity_matrix(units, activation)[0, 1]
        room = float(tracker._room(np.array([0]))[0])
        if room <= 0.0:
            continue
        # Split a share of the room between the units; a turn bound t is an arc of
        # 1 − e^(−t) radians.
        bounds = room * rng.uniform(0.5, 0.999) * rng.dirichlet([1.0, 1.0])
        arcs = -np.expm1(-bounds) * rng.choice([-1.0, 1.0], 2)
        rows = units[:, :3].copy()
        towards = rows[::-1] / np.linalg.norm(rows[::-1], axis=1, keepdims=True)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        towards -= np.sum(towards * rows, axis=1, keepdims=True) * rows / norms**2
        towards /= np.linalg.norm(towards, axis=1, keepdims=True)
        similarities = []
        old = _theta(units)
        for k in range(1, steps + 1):
            a = (arcs * k / steps)[:, None]
            moved = units.copy()
            moved[:, :3] = norms * (np.cos(a) * rows / norms + np.sin(a) * towards)
            new = _theta(moved)
            tracker.observe(old, new, k)
            old = new
            similarities.append(similarity_matrix(moved, activation)[0, 1])
        tracker.flush()
        if tracker.pair_checks or tracker.evaluations > 1:
            continue
        vouched += 1
        assert all(lower <= s < upper for s in similarities), (trial, similarities)
        end = lower if similarities[-1] < before else upper
        if math.isfinite(end):
            worst = max(worst, abs(similarities[-1] - before) / abs(end - before))
    assert vouched > 60  # most: the rest had zero outgoing weights with no angle room
    assert worst > 0.5  # some moves went most of the way to the threshold


@pytest.mark.parametrize(("activation", "changes"), [
    ("tanh", {"dataset": "moons", "epsilon": 1e-3}),  # crosses at 54, merges back at 60
    ("sigmoid", {"dataset": "moons", "epsilon": 1e-3}),
    ("relu", {"l1": 0.004, "init": "xavier"}),  # units die, v reaches exact zeros
    # 32 units hovering in big parts of the alike graph that are not cliques: the
    # count hangs on complete linkage's merge sequence at nearly every step.
    ("tanh", {"dataset": "moons", "init": "xavier", "hidden": 32, "test_fraction": 0.0}),
])
def test_every_change_of_the_count_is_an_event_at_its_exact_step(activation: str,
                                                                 changes: dict) -> None:
    trainer = Trainer(Config(activation=activation, **changes))
    counts = [summarize(trainer.params, activation)["distinct_units"]]
    for _ in range(200):
        trainer.step(1)
        counts.append(summarize(trainer.params, activation)["distinct_units"])
    expected = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
                if a != b]
    tracker = trainer.instruments.splits
    assert tracker.events == expected
    assert any(b < a for _, a, b in expected), "a merge is among them"


@pytest.mark.parametrize(("activation", "changes", "steps"), [
    ("tanh", {"epsilon": 1e-2}, 100),
    ("relu", {"epsilon": 1e-2}, 120),  # falls back at steps 89 and 93
    ("linear", {"epsilon": 1e-2}, 30),  # 4 -> 6 -> 5 at steps 23, 24
])
def test_with_several_outputs_every_change_is_an_event_without_counting_in_full(
        activation: str, changes: dict, steps: int) -> None:
    # Digits: 10 classes, so each unit's outgoing weights are a vector; the tracker
    # bounds how far its canonical row [ŵ, v̂] turns (core/splits.py) instead of
    # counting every step in full, and still records every change at its exact step.
    trainer = Trainer(Config(dataset="digits", hidden=16, activation=activation,
                             init="symmetric", **changes))
    counts = [summarize(trainer.params, activation)["distinct_units"]]
    for _ in range(steps):
        trainer.step(1)
        counts.append(summarize(trainer.params, activation)["distinct_units"])
    expected = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
                if a != b]
    tracker = trainer.instruments.splits
    assert tracker.events == expected and len(expected) > 6
    if activation != "tanh":
        assert any(b < a for _, a, b in expected), "a merge is among them"
    # Counted in full at a quarter of the steps at most (a stretch while a big part
    # crosses its levels), and evaluated once: at the start.
    assert tracker.full_counts <= steps // 4 and tracker.evaluations == 1


def _theta_wide(units: np.ndarray, inputs: int) -> np.ndarray:
    """A flat parameter vector holding ``units`` (H, D + 1 + C) whose last C entries
    are the outgoing vectors (W2's columns)."""
    return np.concatenate([units[:, : inputs + 1].ravel(), units[:, inputs + 1 :].T.ravel(),
                           np.zeros(units.shape[1] - inputs - 1)])


def _turned_towards(rows: np.ndarray, arcs: np.ndarray) -> np.ndarray:
    """Each of the two ``rows`` turned by its arc (radians; negative: away) towards the
    other in the plane of the two, its length kept."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    towards = rows[::-1] / np.linalg.norm(rows[::-1], axis=1, keepdims=True)
    towards -= np.sum(towards * rows, axis=1, keepdims=True) * rows / norms**2
    towards /= np.linalg.norm(towards, axis=1, keepdims=True)
    return np.cos(arcs)[:, None] * rows + np.sin(arcs)[:, None] * towards * norms


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_no_pair_with_outgoing_vectors_the_tracker_vouches_for_leaves_its_interval(
        activation: str) -> None:
    # With C = 3 outputs (softmax: outgoing vectors centred) a unit's canonical row
    # turns at most (t_w + t_v)/√2 (linear: t_w + t_v) for turn bounds t_w of ŵ and t_v
    # of v̂ (core/splits.py), and no less when one part alone differs between the two
    # units and turns.  Turn that part of both units towards or away from the other's
    # by angles whose bounds add up to 0.5-1.5 times the pair's room: wherever the
    # tracker computed nothing the pair stayed in its interval, and moves past the room
    # left it (a bound too generous would vouch for them).
    rng = np.random.default_rng(17)
    D, C, steps = 2, 3, 12
    layout = ParamLayout(2, D, C)
    shape = unit_shape(C)
    factor = 1.0 if activation == "linear" else math.sqrt(2.0)
    vouched, left, worst = 0, 0, 0.0
    for trial in range(80):
        units = np.zeros((2, D + 1 + C))
        for part in (slice(0, D + 1), slice(D + 1, None)):
            direction = rng.standard_normal(len(units[0, part]))
            if part.start:
                direction -= direction.mean()  # centred: what the softmax reads
            units[:, part] = direction / np.linalg.norm(direction)
        turning = slice(0, D + 1) if trial % 2 else slice(D + 1, None)
        other = rng.standard_normal(len(units[0, turning]))
        if turning.start:
            other -= other.mean()
        first = units[0, turning]
        other -= (other @ first) * first
        angle = rng.uniform(0.01, 0.3)  # around the threshold's (0.14-0.2)
        units[1, turning] = np.cos(angle) * first + np.sin(angle) * other / np.linalg.norm(other)
        units *= rng.uniform(0.2, 3.0, (2, 1))
        tracker = SplitTracker(layout, activation, _theta_wide(units, D))
        lower, upper = tracker._lower[0], tracker._upper[0]
        before = similarity_matrix(units, activation, shape)[0, 1]
        room = float(tracker._room(np.array([0]))[0])
        # Both towards or both away; a turn bound t is an arc of 1 − e^(−t) radians.
        bounds = factor * room * rng.uniform(0.5, 1.5) * rng.dirichlet([1.0, 1.0])
        arcs = -np.expm1(-bounds) * rng.choice([-1.0, 1.0])
        old, similarities = _theta_wide(units, D), []
        for k in range(1, steps + 1):
            moved = units.copy()
            moved[:, turning] = _turned_towards(units[:, turning], arcs * k / steps)
            new = _theta_wide(moved, D)
            tracker.observe(old, new, k)
            old = new
            similarities.append(similarity_matrix(moved, activation, shape)[0, 1])
        tracker.flush()
        inside = all(lower <= s < upper for s in similarities)
        left += not inside
        if tracker.pair_checks or tracker.evaluations > 1:
            continue
        vouched += 1
        assert inside, (trial, similarities)
        end = lower if similarities[-1] < before else upper
        if math.isfinite(end):
            worst = max(worst, abs(similarities[-1] - before) / abs(end - before))
    assert vouched > 20 and left >= 10
    assert worst > 0.8  # some vouched moves went most of the way to the end


# -- lasting splits and merges ------------------------------------------------------------------


def _debounced(counts: list[int], window: int) -> list[int]:
    """The lasting count at every step, straight from the definition (core/lasting.py):
    per level k a two-state debounce, on when the count reaches k and stays ≥ k for
    ``window`` steps, off when it falls below k and stays below for ``window`` steps."""
    top = max(counts)
    on = [counts[0] >= k for k in range(top + 1)]
    lasting = [counts[0]]
    for t in range(1, len(counts)):
        ahead = counts[t : t + window]
        for k in range(1, top + 1):
            if counts[t] >= k > counts[t - 1] and min(ahead) >= k:
                on[k] = True
            elif counts[t] < k <= counts[t - 1] and max(ahead) < k:
                on[k] = False
        levels = [k for k in range(1, top + 1) if on[k]]
        assert levels == list(range(1, len(levels) + 1)), "the levels stay nested"
        lasting.append(len(levels))
    return lasting


@pytest.mark.parametrize("seed", range(40))
def test_lasting_changes_follow_the_per_level_debounce(seed: int) -> None:
    rng = np.random.default_rng(seed)
    window = int(rng.integers(1, 30))
    counts = [int(rng.integers(1, 4))]
    for _ in range(int(rng.integers(20, 300))):  # long holds and bursts of hovering
        hold = rng.random() < 0.9
        counts.append(counts[-1] if hold else max(0, counts[-1] + int(rng.integers(-2, 3))))
    events = [(t, a, b) for t, (a, b) in enumerate(itertools.pairwise(counts), start=1)
              if a != b]
    last = len(counts) - 1
    # What becomes lasting if the count holds: the trajectory held on past its end.
    held = _debounced(counts + [counts[-1]] * window, window)
    expected = [(t, a, b) for t, (a, b) in enumerate(itertools.pairwise(held), start=1)
                if a != b]
    result = lasting_changes(events, counts[0], last, window)
    decided = sorted(result.splits + result.merges)
    assert decided == [c for c in expected if c[0] + window - 1 <= last]
    assert list(result.not_yet_lasting) == [c for c in expected if c[0] + window - 1 > last]
    assert all(b > a for _, a, b in result.splits) and all(b < a for _, a, b in result.merges)
    # Asked at every step on the way, one counter gives the same as from scratch.
    count = LastingCount(counts[0], window)
    for t, a, b in events:
        count.add(t, a, b)
        assert count.at(t) == lasting_changes(events, counts[0], t, window)
    assert count.at(last) == result


def test_a_crossing_undone_within_the_window_is_no_split() -> None:
    # The moons run of the report: 1 → 2 at step 34, back at 82, for good at 3,437.
    events = [(34, 1, 2), (82, 2, 1), (3437, 1, 2)]
    result = lasting_changes(events, 1, 20_000, window=100)
    assert result.splits == ((3437, 1, 2),) and result.merges == ()
    assert result.split_step == 3437
    # Inside the window the split is pending, not yet lasting.
    early = lasting_changes(events, 1, 3500, window=100)
    assert early.splits == () and early.not_yet_lasting == ((3437, 1, 2),)
    assert early.split_step is None
    # A merge that holds is a lasting merge, dated when it happened.
    tied = lasting_changes([(10, 1, 3), (500, 3, 1)], 1, 1000, window=100)
    assert tied.splits == ((10, 1, 3),) and tied.merges == ((500, 3, 1),)


def test_the_loss_plot_marks_lasting_splits_and_names_one_still_pending() -> None:
    # The moons run crosses at 54 and back at 60: nothing to mark.  The default run
    # splits at 1,548: pending at step 1,600, marked once it has held.
    transient = _trained(Config(dataset="moons", epsilon=1e-3), 400)
    pending = _trained(Config(), 1600)
    lasting = _trained(Config(), 1700)
    assert transient.unit_events and not transient.splits
    assert pending.not_yet_lasting == ((1548, 1, 2),) and not pending.splits
    assert lasting.splits == ((1548, 1, 2),)
    panel = LossPanel(min_interval=0)
    texts = []

    async def body(pilot: Pilot) -> None:
        for snap in (transient, pending, lasting):
            panel.show(snap)
            await pilot.pause()
            texts.append(panel.symmetry_plot.plain_text())

    run_panels(panel, body, size=(120, 20))
    assert "split" not in texts[0]
    assert "split at 1,548 not yet lasting" in texts[1]
    assert "split at 1,548" in texts[2] and "not yet lasting" not in texts[2]


def _trained(config: Config, steps: int) -> Snapshot:
    trainer = Trainer(config)
    trainer.step(steps)
    return trainer.snapshot()


def test_train_reports_lasting_splits_and_says_what_is_not_yet_lasting(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The command of the report: the crossing at 54 is undone at 60; at step 200 the
    # units are one, and no split is reported.
    argv = ["train", "--dataset", "moons", "--epsilon", "1e-3", "--steps", "200"]
    assert cli.main([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["distinct_units"] == 1
    assert summary["splits"] == [] and summary["split_step"] is None
    assert summary["unit_events"] == [[54, 1, 2], [60, 2, 1]]
    assert summary["lasting_steps"] == LASTING_STEPS
    assert cli.main(argv) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows["splits"] == "none"
    assert rows["brief changes"] == f"2 undone within {LASTING_STEPS} steps (not splits or merges)"
    # A run that ends inside the window says so instead of calling it a split.
    assert cli.main(["train", "--steps", "1600"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows["splits"] == "none yet: 1 → 2 at 1,548 lasts if the count holds to 1,647"
    assert "merges" not in rows


def _rows(out: str) -> dict[str, str]:
    """train's summary as {label: value}: labels and values are two spaces apart."""
    return {key: value.strip() for key, value in
            (line.split("  ", 1) for line in out.splitlines())}


@pytest.mark.parametrize("seed", range(6))
def test_the_group_count_is_scipys_complete_linkage(seed: int) -> None:
    # Larger sets than test_core_honest's, with chains, near-copies and exact copies
    # (tied distances): the sweep over alike pairs agrees with scipy's linkage.
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(2, 40))
        centres = rng.standard_normal((int(rng.integers(1, 6)), 4))
        units = centres[rng.integers(0, len(centres), n)]
        units = units + rng.uniform(0.0, 0.15) * rng.standard_normal((n, 4))
        copies = rng.integers(0, n, int(rng.integers(0, 4)))
        units[copies] = units[0]
        S = similarity_matrix(units, ("tanh", "relu")[seed % 2])
        distance = np.maximum(1.0 - S[np.triu_indices(n, 1)], 0.0)
        heights = linkage(distance, method="complete")[:, 2]
        assert count_groups(S) == n - np.count_nonzero(heights <= 1.0 - SAME_UNIT_THRESHOLD)


@pytest.mark.parametrize("seed", range(4))
def test_pairs_inside_their_intervals_keep_the_count(seed: int) -> None:
    # Inside a part of the alike graph that is no clique the tracker narrows each pair's
    # interval so that complete linkage keeps its merges (MergeCertificate): while every
    # pair stays inside, the count is the anchor's.  Units on two chains of directions
    # 8° apart (alike below 11.5° for relu): a path a-b-c-d is 2 groups if a-b and c-d
    # merge first, 3 if b-c does.  Nudge the angles and compare with scipy.
    rng = np.random.default_rng(seed)
    angles = np.radians(np.concatenate([np.arange(5) * 8.0, 90.0 + np.arange(4) * 8.0]))

    def units_at(angles: np.ndarray) -> np.ndarray:
        return np.column_stack([np.cos(angles), np.sin(angles), np.zeros(len(angles)),
                                np.ones(len(angles))])

    start = angles + np.radians(rng.uniform(-1.0, 1.0, len(angles)))
    tracker = SplitTracker(ParamLayout(len(angles), 2), "relu", _theta(units_at(start)))
    assert any(part.certificate is not None for part in tracker._parts.values())
    alike_then = tracker._known >= SAME_UNIT_THRESHOLD
    outcomes = set()
    for _ in range(400):
        moved = start + np.radians(rng.uniform(-1.5, 1.5, len(angles)))
        S = similarity_matrix(units_at(moved), "relu")
        pairs = S[tracker._first, tracker._second]
        inside = bool(((tracker._lower <= pairs) & (pairs < tracker._upper)).all())
        same = count_groups(S) == tracker.distinct
        same_graph = np.array_equal(pairs >= SAME_UNIT_THRESHOLD, alike_then)
        outcomes.add((same, inside, same_graph))
        assert same or not inside
    # Both kinds of step were met with the alike graph unchanged: the merges held, and
    # they changed and with them the count.
    assert (True, True, True) in outcomes and (False, False, True) in outcomes


def test_sweep_csv_writes_every_list_of_changes_alike() -> None:
    run = Run(0, {"epsilon": 1e-3}, Config(epsilon=1e-3))
    run.summary = {"split_step": 3378, "splits": [[3378, 1, 2]], "merges": [[4000, 2, 1]],
                   "not_yet_lasting": [], "unit_events": [[54, 1, 2], [60, 2, 1]]}
    row = next(csv.DictReader(io.StringIO(csv_text([run], ["epsilon"]))))
    assert row["splits"] == "3378:1>2" and row["merges"] == "4000:2>1"
    assert row["unit_events"] == "54:1>2;60:2>1" and row["not_yet_lasting"] == ""


def test_one_hidden_unit_has_no_pairs_and_one_group() -> None:
    trainer = Trainer(Config(hidden=1, init="xavier"))
    trainer.step(300)
    assert trainer.instruments.splits.distinct == 1 and trainer.instruments.splits.events == []


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_outgoing_weight_changing_sign_is_computed_not_evaluated(activation: str) -> None:
    # Units of a big network whose outgoing weights hover about zero cross it every few
    # steps (H = 256 while its units split): a sign that may have changed leaves those
    # units' pairs unbounded, and the tracker computes them at that step instead of
    # evaluating every pair; an exact zero is still watched by a full evaluation.
    rng = np.random.default_rng(3)
    H = 8
    units = np.column_stack([np.ones(H), rng.normal(0.0, 0.05, H), np.zeros(H), np.ones(H)])
    units[: H // 2, 1] += 1.0
    tracker = SplitTracker(ParamLayout(H, 2), activation, _theta(units))
    counts = [tracker.distinct]
    signs = np.array([1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 0.0, -1.0, 1.0])
    zeros_moved = 0  # steps at which an outgoing weight reaches zero or leaves it
    for step in range(1, 61):
        units[:, :3] += rng.normal(0.0, 2e-3, (H, 3))
        zeros = units[:, 3] == 0.0
        units[[0, 5], 3] = signs[[step % 10, (step // 3) % 10]] * 1e-4 * (1.0 + 0.01 * step)
        zeros_moved += int((zeros != (units[:, 3] == 0.0)).any())
        theta = _theta(units)
        tracker.observe(theta, theta, step)
        counts.append(count_groups(similarity_matrix(units, activation)))
    expected = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
                if a != b]
    assert tracker.events == expected
    # One full evaluation to start and one per exact zero reached or left (16 of the
    # 60 steps); every step crosses zero with the old tracker's full evaluations.
    assert tracker.evaluations <= 1 + zeros_moved < 20
    if activation != "linear":
        assert expected, "the signs move the count"


def test_a_big_part_counted_afresh_at_most_steps_is_counted_in_full() -> None:
    # 64 units on an arc 2° apart (alike below 11.5° for tanh): one part of the alike
    # graph, no clique, whose pairs cross the threshold at nearly every step while the
    # units jitter.  Counting it afresh costs more than a full count each step: the
    # tracker counts in full for stretches (core/splits.py, FULL_SHARE), and once the
    # units are still it tracks again.  Events: those of a full count after every step.
    rng = np.random.default_rng(5)
    H = 64
    angles = np.radians(np.arange(H) * 2.0)
    tracker = SplitTracker(ParamLayout(H, 2), "tanh", _theta(_on_arc(angles)))
    counts = [tracker.distinct]
    for step in range(1, 1201):
        if step <= 600:
            angles = angles + np.radians(rng.normal(0.0, 0.5, H))
        units = _on_arc(angles)
        tracker.observe(_theta(units), _theta(units), step)
        counts.append(count_groups(similarity_matrix(units, "tanh")))
        if step == 600:
            tracker.flush()
            full, recounts = tracker.full_counts, tracker.recounts
    expected = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
                if a != b]
    assert tracker.events == expected and len(expected) > 100
    # Counted afresh at every busy step before (600); now the first batch and a probe.
    assert full > 250 and recounts < 400
    assert tracker.full_counts - full < 600 and tracker.recounts == recounts


def _on_arc(angles: np.ndarray) -> np.ndarray:
    """Units (H, 4) with incoming weights at ``angles`` and outgoing weights 1."""
    return np.column_stack([np.cos(angles), np.sin(angles), np.zeros(len(angles)),
                            np.ones(len(angles))])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_copies_are_counted_without_their_pairs(activation: str) -> None:
    # A symmetric start keeps every unit a bit-identical copy (docs/maths.md): every
    # pair has the same similarity, so the count is 1 (0 once the copies die).  The
    # tracker counts such steps from one pair, then tracks again from where the units
    # come apart, and its events are a full count's after every step: copies turning
    # far (their pairs would be in doubt), scaled to near underflow, dying together,
    # living again, then splitting into two groups.
    H = 32
    rng = np.random.default_rng(4)
    one = np.array([1.0, 0.3, 0.1, 0.8])
    path = [one * scale for scale in (1.0, 2.0, 1e-170, 1e-300, 1.0)]
    path += [np.array([0.0, 0.0, 0.5, 0.8])] * 3  # dead: no incoming weights
    path += [np.array([np.cos(a), np.sin(a), 0.1, 0.8]) for a in np.linspace(0.0, 3.0, 40)]
    units = np.tile(one, (H, 1))
    tracker = SplitTracker(ParamLayout(H, 2), activation, _theta(units))
    counts = [tracker.distinct]
    moves = [np.tile(row, (H, 1)) for row in path]
    for _ in range(40):  # the copies come apart: half turn one way, half the other
        units = moves[-1].copy()
        units[:, :2] += rng.normal(0.0, 1e-3, (H, 2))
        units[: H // 2, 1] += 0.05
        moves.append(units)
    copies_at = len(path)
    for step, units in enumerate(moves, start=1):
        tracker.observe(_theta(units), _theta(units), step)
        live = units[:, :2].any(axis=1)
        counts.append(count_groups(similarity_matrix(units, activation)[np.ix_(live, live)]))
        if step == copies_at:
            # Not one pair computed, nor every pair evaluated, while they were copies.
            assert tracker.distinct == 1 and tracker.evaluations == tracker.pair_steps == 0
    expected = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
                if a != b]
    assert tracker.events == expected
    assert 0 in counts and max(counts[copies_at:]) > 1, "the copies died, then split"
