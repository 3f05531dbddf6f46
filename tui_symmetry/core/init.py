"""Initialization schemes: a registry of small functions ``(H, D, C, rng) -> (W1, W2)``.

Every scheme sets the weights and leaves the biases at zero; ``init_scale`` then
multiplies everything and ``epsilon`` adds N(0, eps^2) to every parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tui_symmetry.core.data import STREAM_INIT, rng_for
from tui_symmetry.core.network import Params

if TYPE_CHECKING:  # config.py reads the registry below: no import at run time
    from tui_symmetry.core.config import Config

WeightFn = Callable[[int, int, int, np.random.Generator], tuple[np.ndarray, np.ndarray]]
"""(H, D, C, rng) -> (W1 (H, D), W2 (C, H)).  With C = 1 every scheme makes the draws
it made when W2 was always (1, H), in the same order: the toys' runs keep their bits."""


def _xavier_std(fan_in: int, fan_out: int) -> float:
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def _zeros(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((H, D)), np.zeros((C, H))


def _constant(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return np.full((H, D), 0.5), np.full((C, H), 0.5)


def _symmetric(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # One unit, drawn Xavier-normal, copied into every unit (outgoing weight included).
    w_in = rng.normal(0.0, _xavier_std(D, H), size=D)
    # size=C draws what a scalar draw did for C = 1
    w_out = rng.normal(0.0, _xavier_std(H, C), size=C)
    return np.tile(w_in, (H, 1)), np.tile(w_out[:, None], (1, H))


def _normal(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, 0.5, size=(H, D)), rng.normal(0.0, 0.5, size=(C, H))


def _uniform(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # nn.Linear's default bound, 1/sqrt(fan_in).
    bound1, bound2 = 1.0 / np.sqrt(D), 1.0 / np.sqrt(H)
    return rng.uniform(-bound1, bound1, size=(H, D)), rng.uniform(-bound2, bound2, size=(C, H))


def _xavier(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return (
        rng.normal(0.0, _xavier_std(D, H), size=(H, D)),
        rng.normal(0.0, _xavier_std(H, C), size=(C, H)),
    )


def _he(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return (
        rng.normal(0.0, np.sqrt(2.0 / D), size=(H, D)),
        rng.normal(0.0, np.sqrt(2.0 / H), size=(C, H)),
    )


def orthogonal_matrix(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """A (semi-)orthogonal matrix as torch.nn.init.orthogonal_ makes it."""
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    return q.T if rows < cols else q


def _orthogonal(H: int, D: int, C: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return orthogonal_matrix(H, D, rng), orthogonal_matrix(C, H, rng)


@dataclass(frozen=True)
class InitScheme:
    """One initialization scheme: how it draws W1 and W2, and whether it copies one unit."""

    weights: WeightFn
    copies_units: bool = False
    """Every unit starts as a copy of one (up to epsilon): chance is then read from a
    scheme that draws units apart (core/chance.py)."""


INIT_SCHEMES: dict[str, InitScheme] = {
    "zeros": InitScheme(_zeros, copies_units=True),
    "constant": InitScheme(_constant, copies_units=True),
    "symmetric": InitScheme(_symmetric, copies_units=True),
    "normal": InitScheme(_normal),
    "uniform": InitScheme(_uniform),
    "xavier": InitScheme(_xavier),
    "he": InitScheme(_he),
    "orthogonal": InitScheme(_orthogonal),
}
"""Every scheme by name, in the order the command line and the app list them."""


def init_params(config: Config) -> Params:
    """The initial parameters of ``config``, drawn from its own init stream."""
    return draw_params(config, rng_for(config.seed, STREAM_INIT))


def draw_params(config: Config, rng: np.random.Generator) -> Params:
    """Parameters drawn as ``config``'s init draws them, from ``rng``.

    A conv net's K filters are drawn as K units with D = k² inputs and C·P outputs:
    filter k's kernel is W1's row k, its outgoing block V_k (C, P) the unit's C·P
    outgoing weights (so ``symmetric`` copies whole filters, blocks included)."""
    H, D, C, P = config.units, config.unit_inputs, config.output_dim, config.positions
    W1, W2 = INIT_SCHEMES[config.init].weights(H, D, C * P, rng)
    if P > 1:  # (C·P, K) → W2 (C, K·P), filter-major as torch's flatten has it
        W2 = W2.reshape(C, P, H).transpose(0, 2, 1).reshape(C, H * P)
    params = Params(
        W1=config.init_scale * W1,
        b1=np.zeros(H),
        W2=config.init_scale * W2,
        b2=np.zeros(C),
    )
    if config.epsilon > 0:
        params = nudge(params, config.epsilon, rng)
    return params


def nudge(params: Params, epsilon: float, rng: np.random.Generator) -> Params:
    """``params`` plus N(0, ε²) on every entry, drawn W1, b1, W2, b2 in that order."""
    H, D = params.W1.shape
    C, HP = params.W2.shape  # H·P outgoing weights per output (P: a filter's cells)
    return Params(
        W1=params.W1 + rng.normal(0.0, epsilon, size=(H, D)),
        b1=params.b1 + rng.normal(0.0, epsilon, size=H),
        W2=params.W2 + rng.normal(0.0, epsilon, size=(C, HP)),
        b2=params.b2 + rng.normal(0.0, epsilon, size=C),
    )
