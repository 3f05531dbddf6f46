"""Which of run B's hidden units corresponds to which of run A's (docs/contracts.md, "compare").

Hidden units have no names: any relabelling of them computes the same function.  So
"does B learn the units A learns?" first needs a pairing.  Each pair is scored by the
similarity measure of :mod:`tui_symmetry.core.metrics` (the one the similarity panel
shows, within one run), and the pairing that maximizes the total is found exactly by the
Hungarian algorithm (scipy's ``linear_sum_assignment``).

A maximum over all pairings is large even for unrelated networks, so the matched mean
comes with a chance level: its expected value between independent random starts of the
two configurations (Monte Carlo over fixed seeds, cached per configuration pair).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.init import init_params
from tui_symmetry.core.network import ONE_OUTPUT, Params, UnitShape
from tui_symmetry.core.similarity import similarity_matrix

CHANCE_TRIALS = 200
"""Random start pairs behind a chance level, for small networks.  Its Monte Carlo error is
chance_std / √trials, and chance_std shrinks like 1/√H (a mean over H pairs), so larger
networks need fewer pairs (chance_trials): the error stays below 0.01 while a 256-unit
chance level takes under a second (the assignment is slowest on near-copies, as from a
symmetric start)."""
MIN_CHANCE_TRIALS = 16

UNMATCHED = -1
"""``b_for_a`` entry of an A unit left without a partner (A has more units than B)."""


def cross_similarity(units_a: np.ndarray, units_b: np.ndarray, activation: str,
                     shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """S_ab (H_a, H_b): the similarity of every unit of A to every unit of B.

    The off-diagonal block of metrics' own similarity matrix of both sets of units
    stacked, so this is the within-run measure to the bit, whatever it becomes: every
    measure there works row by row (a direction per unit, then cosines).  It could move
    into metrics as its cross-matrix variant; until then this is its one home.
    """
    joint = similarity_matrix(np.vstack([units_a, units_b]), activation, shape)
    return joint[: len(units_a), len(units_a):]


def assign(S_ab: np.ndarray) -> np.ndarray:
    """For each row (unit of A) the column (unit of B) of the pairing with the largest
    total similarity; UNMATCHED for rows left over when B has fewer units."""
    rows, cols = linear_sum_assignment(S_ab, maximize=True)
    b_for_a = np.full(S_ab.shape[0], UNMATCHED, dtype=np.int64)
    b_for_a[rows] = cols
    return b_for_a


def matched_similarities(params_a: Params, params_b: Params,
                         activation: str) -> tuple[np.ndarray, np.ndarray]:
    """(b_for_a, similarity of each matched pair, NaN where unmatched)."""
    S_ab = cross_similarity(metrics.unit_vectors(params_a), metrics.unit_vectors(params_b),
                            activation, metrics.shape_of(params_a))
    b_for_a = assign(S_ab)
    matched = b_for_a != UNMATCHED
    similarities = np.full(len(b_for_a), math.nan)
    similarities[matched] = S_ab[matched, b_for_a[matched]]
    return b_for_a, similarities


def matched_mean(params_a: Params, params_b: Params, activation: str) -> float:
    """The mean similarity over the matched pairs."""
    return float(np.nanmean(matched_similarities(params_a, params_b, activation)[1]))


def chance_trials(hidden: int) -> int:
    """How many random start pairs a chance level for ``hidden`` units averages."""
    return min(CHANCE_TRIALS, max(MIN_CHANCE_TRIALS, 4096 // hidden))


def chance_matched_mean(config_a: Config, config_b: Config,
                        trials: int | None = None) -> tuple[float, float]:
    """(mean, standard deviation) of the matched mean between independent random starts.

    Trial k draws A's start with seed 2k and B's with seed 2k + 1 (init_params of each
    configuration), so the two are independent even when the configurations are equal,
    and the result is the same on every call.  Only the settings that shape a start
    (and the activation, which picks the measure) matter; results are cached on those.
    ``trials`` defaults to chance_trials of the larger network.

    Starts have zero biases (up to epsilon): their units fill one dimension less than
    trained ones, so unrelated trained networks can score below this level.
    """
    if trials is None:
        trials = chance_trials(max(config_a.units, config_b.units))
    return _chance(_start_settings(config_a), _start_settings(config_b), trials)


def _start_settings(config: Config) -> Config:
    """``config`` with everything that does not shape its random start at defaults."""
    return Config(
        dataset=config.dataset,  # for its input dimension
        arch=config.arch,
        hidden=config.hidden,
        filters=config.filters,
        kernel=config.kernel,
        activation=config.activation,
        init=config.init,
        init_scale=config.init_scale,
        epsilon=config.epsilon,
    )


@functools.lru_cache(maxsize=64)
def _chance(start_a: Config, start_b: Config, trials: int) -> tuple[float, float]:
    means = np.empty(trials)
    for k in range(trials):
        params_a = init_params(start_a.replace(seed=2 * k))
        params_b = init_params(start_b.replace(seed=2 * k + 1))
        means[k] = matched_mean(params_a, params_b, start_a.activation)
    return float(means.mean()), float(means.std())


def _table_of(config: Config) -> tuple[str, ...] | None:
    """What a table run's units read: the table (a CSV file by its bytes) and which of
    its columns is learnt, and how; None for a toy (its inputs are the plane)."""
    if not config.is_table:
        return None
    return (config.dataset, config.data_sha256, config.target, config.task)


def _table_name(config: Config) -> str:
    if not config.is_table:
        return f"the toy {config.dataset}"
    return config.data if config.dataset == "csv" else config.dataset


def comparable(config_a: Config, config_b: Config) -> str | None:
    """None when units of the two runs can be matched, else the reason in words."""
    if config_a.arch != config_b.arch:
        return (f"A and B are different networks ({config_a.arch}, {config_b.arch}): "
                "hidden units and filters cannot be matched")
    if config_a.is_conv and config_a.kernel != config_b.kernel:
        return (f"A and B have filters of different sizes ({config_a.kernel}x"
                f"{config_a.kernel}, {config_b.kernel}x{config_b.kernel}): their kernels "
                "cannot be matched")
    if _table_of(config_a) != _table_of(config_b):
        return (f"A and B learn different tables ({_table_name(config_a)}, "
                f"{_table_name(config_b)}): their units read different features")
    if config_a.input_dim != config_b.input_dim:
        return (f"A and B see different inputs ({config_a.input_dim}-D and "
                f"{config_b.input_dim}-D): their units cannot be matched")
    if config_a.activation != config_b.activation:
        return (f"A and B use different activations ({config_a.activation}, "
                f"{config_b.activation}): their units compute different features")
    return None


@dataclass(frozen=True)
class Matching:
    """B's units matched to A's, with the matched mean and its chance level.

    ``reason`` is None when the runs were matched; otherwise it says why they cannot be,
    and every other field is empty or NaN.
    """

    b_for_a: np.ndarray
    similarities: np.ndarray
    mean: float
    chance: float
    chance_std: float
    reason: str | None = None
    trained: float = math.nan
    """The trained baseline (experiments/baseline.py): the mean matched mean between runs of
    A's and B's configurations started independently and trained as long; NaN when
    not measured."""
    trained_std: float = math.nan
    trained_pairs: int = 0

    def with_trained(self, reading: Any) -> Matching:
        """This matching carrying the trained baseline ``reading`` (a
        experiments.baseline.BaselineReading: mean, std, pairs)."""
        return dataclasses.replace(self, trained=reading.mean, trained_std=reading.std,
                                   trained_pairs=reading.pairs)

    def to_dict(self) -> dict[str, Any]:
        """The ``matching`` object of ``compare --json`` (docs/contracts.md): JSON-ready."""
        if self.reason is not None:
            return {"b_for_a": None, "similarities": None, "mean": None, "chance": None,
                    "chance_std": None, "trained": None, "trained_std": None,
                    "trained_pairs": 0, "reason": self.reason}
        return {
            "b_for_a": [None if j == UNMATCHED else int(j) for j in self.b_for_a],
            "similarities": [None if math.isnan(s) else float(s) for s in self.similarities],
            "mean": _json_number(self.mean),
            "chance": _json_number(self.chance),
            "chance_std": _json_number(self.chance_std),
            "trained": _json_number(self.trained),
            "trained_std": _json_number(self.trained_std),
            "trained_pairs": self.trained_pairs,
            "reason": None,
        }


def _json_number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def match_runs(config_a: Config, params_a: Params,
               config_b: Config, params_b: Params) -> Matching:
    """Match run B's units to run A's (each run's config and parameters)."""
    reason = comparable(config_a, config_b)
    if reason is not None:
        empty = np.empty(0)
        return Matching(empty.astype(np.int64), empty, math.nan, math.nan, math.nan, reason)
    b_for_a, similarities = matched_similarities(params_a, params_b, config_a.activation)
    chance, chance_std = chance_matched_mean(config_a, config_b)
    return Matching(b_for_a, similarities, float(np.nanmean(similarities)), chance,
                    chance_std)
