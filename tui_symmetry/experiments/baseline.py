"""Compare's trained baseline: how alike A's and B's units come out when nothing links them.

The matched similarity of two runs (core/matching.py) is large even for unrelated
networks, and its chance level, taken between *untrained* random starts, says little
about trained ones: training pulls units towards the features the data asks for, so
trained runs match at a level of their own, above or below the chance of their starts
(on xor, Xavier runs trained apart for 3,000 steps: 0.873 against a chance of 0.820;
copies against Xavier after 2,000: 0.309 against 0.494).  The baseline a comparison
needs is between *trained* runs of the same two configurations: A's configuration and
B's, each started BASELINE_STARTS more times from other seeds, trained on its own data
(the data of A, resp. B) for as many steps, and every pair of an A run and a B run
matched — all pairs but the compared one.

The extra runs train in lockstep with the compared pair (``tui-symmetry compare`` and
the app's comparison step them together), so the baseline is always at the same step;
they cost BASELINE_STARTS times the training of the pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.matching import comparable, matched_mean
from tui_symmetry.core.network import Params
from tui_symmetry.core.trainer import Trainer

BASELINE_STARTS = 2
"""Extra starts per configuration: with the compared runs, (2 + 1)² − 1 = 8 pairs.  One
(3 pairs) is too few to read: symmetric copies against Xavier on xor after 2,000 steps
gave 0.209 ± 0.009 from 3 pairs and 0.309 ± 0.095 from 8."""
_SEED_STRIDE = 7_919
_SEED_RANGE = 2**32


def start_seeds(config_a: Config, config_b: Config,
                extra: int = BASELINE_STARTS) -> tuple[list[int], list[int]]:
    """The start seeds of A's runs and of B's: each config's own seed first, then
    ``extra`` more, all different from each other and from both own seeds (so every
    baseline pair starts independently, even when A and B share a seed)."""
    used = {config_a.seed, config_b.seed}
    seeds = ([config_a.seed], [config_b.seed])
    candidate = config_a.seed
    for k in range(2 * extra):
        candidate = (candidate + _SEED_STRIDE) % _SEED_RANGE
        while candidate in used:
            candidate = (candidate + 1) % _SEED_RANGE
        used.add(candidate)
        seeds[k % 2].append(candidate)
    return seeds


def run_seeds(config: Config, runs: int) -> list[int]:
    """The start seeds of ``runs`` independent runs of ``config`` on its data: its own
    seed first, then the next ones :func:`start_seeds` gives (all different)."""
    extra = (runs - 1 + 1) // 2
    seeds_a, seeds_b = start_seeds(config, config, extra)
    others = [seed for pair in zip(seeds_a[1:], seeds_b[1:], strict=True) for seed in pair]
    return [config.seed, *others][:runs]


@dataclass(frozen=True)
class BaselineReading:
    """The trained baseline at one step: mean and spread of the pairs' matched means."""

    mean: float
    std: float
    pairs: int


NO_READING = BaselineReading(math.nan, math.nan, 0)


class TrainedBaseline:
    """The extra runs of a comparison's baseline; the caller steps ``trainers`` with
    the compared pair and asks :meth:`measure` with the pair's parameters."""

    def __init__(self, config_a: Config, config_b: Config,
                 extra: int = BASELINE_STARTS) -> None:
        self.activation = config_a.activation
        self.reason = comparable(config_a, config_b)
        seeds_a, seeds_b = start_seeds(config_a, config_b, extra)
        if self.reason is not None:  # nothing to match: nothing to train
            seeds_a, seeds_b = seeds_a[:1], seeds_b[:1]
        self.runs_a = [Trainer(config_a, start_seed=seed) for seed in seeds_a[1:]]
        self.runs_b = [Trainer(config_b, start_seed=seed) for seed in seeds_b[1:]]

    @property
    def trainers(self) -> list[Trainer]:
        """The extra runs, A's then B's."""
        return [*self.runs_a, *self.runs_b]

    def step(self, n: int) -> None:
        """Train every extra run ``n`` more steps (a diverged one stays where it is)."""
        for trainer in self.trainers:
            trainer.step(n)

    def measure(self, params_a: Params, params_b: Params) -> BaselineReading:
        """The matched mean of every A run with every B run but the compared pair
        (``params_a``, ``params_b``); runs that diverged are left out."""
        if self.reason is not None:
            return NO_READING
        side_a = [params_a, *(t.params for t in self.runs_a if not t.diverged)]
        side_b = [params_b, *(t.params for t in self.runs_b if not t.diverged)]
        with np.errstate(all="ignore"):
            means = [matched_mean(a, b, self.activation)
                     for i, a in enumerate(side_a) for j, b in enumerate(side_b)
                     if (i, j) != (0, 0)]
        if not means:
            return NO_READING
        return BaselineReading(float(np.mean(means)), float(np.std(means)), len(means))
