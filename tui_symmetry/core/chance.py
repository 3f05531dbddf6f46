"""The chance level of the symmetry index: what unrelated units of this run would read.

The symmetry index of units that have nothing to do with each other is not 0: tanh's
and sigmoid's measure averages to 1/2 over the signs of the outgoing weights, ReLU's to
about 0, and the biases start at 0, so the inputs' dimension and the shape of each
scheme's draw move it too.  The chance level is therefore the *expected symmetry
index of the config's own random start*, estimated by Monte Carlo over fresh inits
with fixed seeds of its own (so it is the same number every time).

Starts that copy one unit into all (``symmetric``, ``constant``, ``zeros``) have no
unrelated units to measure; their reference is the random scheme ``symmetric`` copies
from, Xavier-normal (see tui_symmetry.core.init).  The estimate depends only on the
fields that shape the init and the measure, so it is computed once per combination of
them and cached.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.data import data_key, make_dataset
from tui_symmetry.core.init import INIT_SCHEMES, draw_params
from tui_symmetry.core.metrics import outgoing_weights, unit_vectors
from tui_symmetry.core.model import model_for
from tui_symmetry.core.network import unit_shape
from tui_symmetry.core.similarity import FUNCTION, WEIGHTS, function_similarity, similarity_matrix

# Inits that copy one unit (InitScheme.copies_units) take the chance level of this scheme.
REFERENCE_INIT = "xavier"
# The Monte Carlo's seeds start here: far from the seeds anyone types.
CHANCE_SEED = 1_000_003
# About this many unit pairs in all: the standard error is then about 0.003.
PAIRS_SAMPLED = 16_000
MIN_DRAWS, MAX_DRAWS = 64, 1_000

_INIT_FIELDS = ("arch", "units", "unit_inputs", "positions", "output_dim", "activation", "init",
                "init_scale", "epsilon")


def reference_config(config: Config) -> Config:
    """The config whose fresh inits define chance for ``config`` (its init, or xavier)."""
    changes: dict = {}
    if INIT_SCHEMES[config.init].copies_units:
        changes["init"] = REFERENCE_INIT
        if config.init_scale == 0.0 and config.epsilon == 0.0:
            changes["init_scale"] = 1.0  # otherwise every draw is all zeros
    return config.replace(**changes) if changes else config


def draws_for(hidden: int) -> int:
    """How many fresh inits the estimate averages over, for ``hidden`` units."""
    pairs = hidden * (hidden - 1) // 2
    return max(MIN_DRAWS, min(MAX_DRAWS, math.ceil(PAIRS_SAMPLED / max(pairs, 1))))


def symmetry_chance(config: Config, space: str = WEIGHTS) -> float:
    """The expected symmetry index of ``config``'s random start (NaN with one unit).

    ``space`` is the similarity measure's space: weights, or function (which also
    depends on the data).
    """
    key = tuple(getattr(config, name) for name in _INIT_FIELDS)
    if space == FUNCTION:
        key += data_key(config)
    elif space != WEIGHTS:
        raise ValueError(f"unknown similarity space {space!r}")
    full_key = (space, *key)
    value = _CACHE.get(full_key)
    if value is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        value = _CACHE[full_key] = estimate_chance(config, space)
    return value


# Estimates by (space, fields that matter); a few hundred configs at most in a session.
_CACHE: dict[tuple, float] = {}
_CACHE_SIZE = 512


def estimate_chance(config: Config, space: str = WEIGHTS) -> float:
    """The Monte Carlo estimate behind :func:`symmetry_chance` (not cached)."""
    if config.units < 2:
        return math.nan
    reference = reference_config(config)
    rng = np.random.default_rng(CHANCE_SEED)
    XT1 = (model_for(config).inputs(make_dataset(config).X_train) if space == FUNCTION
           else None)
    draws = draws_for(config.units)
    shape = unit_shape(config.output_dim, config.loss, config.positions)
    total, counted = 0.0, 0
    for start in range(0, draws, _BATCH):
        batch = [draw_params(reference, rng) for _ in range(min(_BATCH, draws - start))]
        units = np.stack([unit_vectors(params) for params in batch])
        if XT1 is None:
            S = similarity_matrix(units, config.activation, shape)
        else:
            S = np.stack([
                function_similarity(np.column_stack([p.W1, p.b1]), outgoing_weights(p),
                                    config.activation, XT1)
                for p in batch
            ])
        live = units[..., : config.unit_inputs].any(axis=-1)  # metrics.dead_mask, batched
        pairs = live[:, :, None] & live[:, None, :]
        idx = np.arange(config.units)
        pairs[:, idx, idx] = False
        counts = pairs.sum(axis=(1, 2))
        sums = np.where(pairs, S, 0.0).sum(axis=(1, 2))
        defined = counts > 0  # symmetry_index: undefined with fewer than two live units
        total += float((sums[defined] / counts[defined]).sum())
        counted += int(defined.sum())
    return total / counted if counted else math.nan


# Inits per batch of the estimate: bounds the (batch, H, H) arrays at H = 256.
_BATCH = 64
