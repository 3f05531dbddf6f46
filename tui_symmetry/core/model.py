"""One record per network architecture: what the Trainer calls to train and read it.

The Trainer never asks which network it trains: it calls through a :class:`Model` (the
layout of θ, the kernel that computes the loss and its gradient, the output, the
per-unit activity the class panels read, and how inputs are laid out for the kernel).
:func:`model_for` is the one place that chooses between the MLP (core/network.py) and
the conv layer (core/conv.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tui_symmetry.core import conv
from tui_symmetry.core.network import (
    Activation,
    Kernel,
    ParamLayout,
    Params,
    UnitMajorViews,
    Workspace,
    hidden_unit_major,
    kernel_for,
    output_unit_major,
    with_ones,
)

if TYPE_CHECKING:
    from tui_symmetry.core.config import Config

Reader = Callable[[UnitMajorViews, np.ndarray, Activation, Workspace], np.ndarray]
"""(params, inputs, activation, workspace) -> an array over the batch."""


@dataclass(frozen=True)
class Model:
    """How one architecture trains and is read.

    ``kernel`` follows network.Kernel; ``output`` gives (C, N) and ``activity`` (H, N),
    each unit's (or filter's mean pooled) activation per sample.  ``columns`` is how many
    workspace columns one sample takes (1, or a filter's Q map positions);
    ``picture`` the (rows, columns) a unit's incoming weights are drawn as, or None.
    """

    layout: ParamLayout
    kernel: Kernel
    output: Reader
    activity: Reader
    columns: int
    picture: tuple[int, int] | None
    prepare: Callable[[np.ndarray], np.ndarray]
    named: Callable[[Params], dict[str, np.ndarray]]
    """The parameters under the names and shapes an export writes (torch's)."""

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The kernel's inputs for samples X (N, D): [Xᵀ; 1] (D + 1, N), or the patches
        Πᵀ (k² + 1, Q, N).  Samples are always the last axis (a batch is ``[..., idx]``)."""
        return self.prepare(X)

    def param_lists(self, params: Params) -> dict[str, list]:
        """The parameters as an export writes them: W1, b1, W2, b2, or a conv net's
        Wc (K, 1, k, k), bc, W2 (C, K·P), b2 (docs/contracts.md, "Export")."""
        return {name: np.asarray(value).tolist() for name, value in self.named(params).items()}

    def workspace(self, n: int) -> Workspace:
        """Scratch buffers for a batch of ``n`` samples."""
        return Workspace(self.layout.hidden, self.columns * n)


def _mlp_names(params: Params) -> dict[str, np.ndarray]:
    return dict(zip(("W1", "b1", "W2", "b2"), params.as_tuple(), strict=True))


def _mlp_activity(p: UnitMajorViews, XT1: np.ndarray, activation: Activation,
                  ws: Workspace) -> np.ndarray:
    return hidden_unit_major(p, XT1, activation, ws)[1]


def model_for(config: Config) -> Model:
    """The Model of ``config``'s network."""
    shape = config.shape
    layout = ParamLayout(config.units, config.unit_inputs, config.output_dim, config.positions)
    if not config.is_conv:
        return Model(layout, kernel_for(layout), output_unit_major, _mlp_activity, 1,
                     shape.image, with_ones, _mlp_names)
    side, k = shape.image[0], config.kernel
    q = conv.map_side(side, k) ** 2

    def prepare(X: np.ndarray) -> np.ndarray:
        return conv.patches(np.asarray(X).reshape(len(X), *shape.image), k)

    return Model(layout, conv.loss_and_grads_conv, conv.output_conv, conv.filter_activity,
                 q, (k, k), prepare, lambda params: conv.torch_params(params, k))
