"""The Trainer: owns one run's state, steps it, and hands out immutable snapshots.

One step follows DESIGN §2 exactly: batch → data-loss gradient → L2 → tie → gradient
noise → optimizer → L1 proximal step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import STREAM_BATCH, STREAM_NOISE, Dataset, make_dataset, rng_for
from tui_symmetry.core.init import init_params
from tui_symmetry.core.instruments import Instruments
from tui_symmetry.core.network import (
    Layout,
    Params,
    UnitMajor,
    Workspace,
    bce_with_logits,
    loss_and_grads_t,
    mse,
    output_t,
    with_ones,
)
from tui_symmetry.core.optim import make_optimizer
from tui_symmetry.core.regularize import add_grad_noise, add_l2, add_tie, dropout_mask, l1_prox

EXPORT_FORMAT = "tui-symmetry-run"
EXPORT_VERSION = 1
HISTORY_CAPACITY = 1024
HISTORY_FIELDS = ("step", "loss", "test_loss", "symmetry_index")


class History:
    """Scalars over training in a fixed-size buffer whose resolution halves as it fills.

    Points are kept at every ``stride``-th step.  When the buffer is full, every other
    point is dropped and the stride doubles, so memory stays flat however long a run
    goes and the whole run is always covered.
    """

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.stride = 1
        self.size = 0
        self.step = np.zeros(capacity, dtype=np.int64)
        self.values = np.zeros((3, capacity))  # loss, test_loss, symmetry_index

    def next_step(self) -> int:
        """The next step that will be recorded."""
        if self.size == 0:
            return 0
        last = int(self.step[self.size - 1])
        return last + self.stride

    def append(self, step: int, loss: float, test_loss: float, symmetry: float) -> None:
        """Record a point; steps off the current grid (before next_step()) are ignored."""
        if step < self.next_step() or step % self.stride:
            return
        if self.size == self.capacity:
            half = self.capacity // 2
            self.step[:half] = self.step[0::2]
            self.values[:, :half] = self.values[:, 0::2]
            self.size = half
            self.stride *= 2
            if step < self.next_step():
                return
        self.step[self.size] = step
        self.values[:, self.size] = (loss, test_loss, symmetry)
        self.size += 1

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only copies of the recorded points."""
        out = {"step": self.step[: self.size].copy()}
        for name, row in zip(HISTORY_FIELDS[1:], self.values, strict=True):
            out[name] = row[: self.size].copy()
        for array in out.values():
            array.flags.writeable = False
        return out

    @property
    def nbytes(self) -> int:
        return self.step.nbytes + self.values.nbytes


@dataclass(frozen=True)
class Snapshot:
    """An immutable picture of a run at one step: safe to hand to another thread."""

    config: Config
    step: int
    version: int
    diverged: bool
    params: Params
    grads: Params | None
    loss: float
    test_loss: float | None
    accuracy: float | None
    test_accuracy: float | None
    similarity: np.ndarray
    order: np.ndarray
    dead: np.ndarray
    symmetry_index: float
    chance_level: float
    distinct_units: int
    dead_units: int
    max_unit_gap: float
    history: dict[str, np.ndarray] = field(repr=False)
    steps_per_s: float = 0.0
    # The honest numbers (core/instruments.py).  chance_level above is the expected
    # symmetry index of the config's own random start (core/chance.py).
    similarity_measure: str = ""
    unit_states: np.ndarray | None = field(default=None, repr=False)  # metrics.LIVE, ...
    constant_units: int = 0
    inactive_units: int = 0
    saddle_step: int | None = None  # the step spread and saddle_* were measured at
    spread: float = math.nan
    saddle_curvature: float | None = None
    growth_rate: float | None = None
    predicted_split_step: int | None = None
    split_step: int | None = None
    splits: tuple[tuple[int, int, int], ...] = ()
    one_unit_loss: float | None = None

    def summary(self) -> dict[str, Any]:
        """The scalar facts of DESIGN §4's `train --json` (without steps_per_s).

        JSON-ready: every non-finite number is None (JSON has no NaN or Infinity).
        """
        return {
            "config": self.config.to_dict(),
            "step": self.step,
            "loss": _json_float(self.loss),
            "test_loss": _json_float(self.test_loss),
            "accuracy": _json_float(self.accuracy),
            "symmetry_index": _json_float(self.symmetry_index),
            "distinct_units": self.distinct_units,
            "dead_units": self.dead_units,
            "max_unit_gap": _json_float(self.max_unit_gap),
            "diverged": self.diverged,
            **_honest_summary(self),
        }


def _honest_summary(snap: Snapshot) -> dict[str, Any]:
    """The summary's keys for the honest numbers (JSON-ready, like the rest)."""
    efold = None
    if snap.growth_rate is not None and snap.growth_rate > 0:
        efold = 1.0 / snap.growth_rate
    return {
        "symmetry_chance": _json_float(snap.chance_level),
        "similarity_measure": snap.similarity_measure,
        "constant_units": snap.constant_units,
        "inactive_units": snap.inactive_units,
        "saddle_step": snap.saddle_step,
        "spread": _json_float(snap.spread),
        "saddle_curvature": _json_float(snap.saddle_curvature),
        "growth_rate": _json_float(snap.growth_rate),
        "efold_steps": _json_float(efold),
        "predicted_split_step": snap.predicted_split_step,
        "split_step": snap.split_step,
        "splits": [list(split) for split in snap.splits],
        "one_unit_loss": _json_float(snap.one_unit_loss),
    }


def _json_float(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _frozen(params: Params) -> Params:
    copied = params.copy()
    for array in copied.as_tuple():
        array.flags.writeable = False
    return copied


class Trainer:
    """Config in, trained state out.  Not thread-safe: one owner calls step()."""

    def __init__(self, config: Config, history_capacity: int = HISTORY_CAPACITY) -> None:
        self.config = config
        self.start_config = config
        self.data: Dataset = make_dataset(config)
        self.layout = layout = Layout(config.hidden, config.input_dim)
        theta = layout.pack(init_params(config))
        # Two parameter buffers: a step writes the new parameters into the other one, so
        # the previous state survives for a rollback when a step diverges.
        self._buffers = (UnitMajor(layout, theta), UnitMajor(layout, np.empty_like(theta)))
        self._current = 0
        self._grad = UnitMajor(layout, np.zeros(layout.size))
        # Unit-major inputs [Xᵀ; 1] (D + 1, N) and targets (1, N), made once.
        self._XT = with_ones(self.data.X_train)
        self._yT = np.ascontiguousarray(self.data.y_train.T)
        self._XT_test = with_ones(self.data.X_test)
        self._yT_test = np.ascontiguousarray(self.data.y_test.T)
        self._workspaces: dict[int, Workspace] = {}
        self.initial_params: Params = _frozen(self.params)
        self.optimizer = make_optimizer(config.optimizer, config.lr, config.momentum)
        self.step_count = 0
        self.version = 0
        self.diverged = False
        self.has_grad = False
        self.history = History(history_capacity)
        self.config_changes: list[dict[str, Any]] = []
        self._batch_rng = rng_for(config.seed, STREAM_BATCH)
        self._noise_rng = rng_for(config.seed, STREAM_NOISE)
        self._epoch_order = np.arange(0)
        self._epoch_pos = 0
        self._order: np.ndarray | None = None
        self.instruments = Instruments(config, layout, self.theta, self._XT, self._yT)
        self._record(self.train_loss())

    # -- training -------------------------------------------------------------------

    @property
    def theta(self) -> np.ndarray:
        """The current parameters as one flat vector (see network.Layout)."""
        return self._buffers[self._current].theta

    @property
    def params(self) -> Params:
        """The current parameters (views into the live buffer; do not mutate)."""
        return self.layout.views(self.theta)

    def step(self, n: int = 1) -> int:
        """Run up to ``n`` training steps; returns how many ran (fewer if it diverged)."""
        if self.diverged or n <= 0:
            return 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._run(n)

    def _run(self, n: int) -> int:
        cfg = self.config
        act, regression = cfg.activation, cfg.is_regression
        layout, hidden = self.layout, cfg.hidden
        opt = self.optimizer
        grad_views = self._grad
        grad = grad_views.theta
        buffers = self._buffers
        current = self._current
        n_train = self._XT.shape[1]
        next_record = self.history.next_step()
        done = 0
        for _ in range(n):
            full_batch = cfg.batch_size == 0 or cfg.batch_size >= n_train
            if full_batch:
                XT, yT = self._XT, self._yT
            else:
                XT, yT = self._next_batch(cfg.batch_size)
            maskT = (
                dropout_mask((hidden, XT.shape[1]), cfg.dropout, self._noise_rng)
                if cfg.dropout > 0
                else None
            )
            params = buffers[current]
            ws = self._workspace(XT.shape[1])
            loss = loss_and_grads_t(params, XT, yT, act, regression, grad_views, ws, maskT)
            if not math.isfinite(loss):
                self._current = current
                self._diverge(rolled_back=done > 0)
                return done
            if self.step_count == next_record:
                self._current = current
                exact = full_batch and maskT is None
                self._record(loss if exact else self.train_loss())
                next_record = self.history.next_step()
            theta = params.theta
            if cfg.l2:
                add_l2(grad, theta, layout, cfg.l2)
            if cfg.tie:
                add_tie(grad, theta, layout, cfg.tie)
            if cfg.grad_noise:
                add_grad_noise(grad, layout, cfg.grad_noise, self._noise_rng)
            current = 1 - current
            new_theta = buffers[current].theta
            opt.update(theta, grad, new_theta)
            if cfg.l1:
                l1_prox(new_theta, layout, opt.lr * cfg.l1)
            self.step_count += 1
            self.instruments.observe(theta, new_theta, self.step_count)
            done += 1
        self._current = current
        self.has_grad = True
        if np.isfinite(self.theta).all():
            self.version += 1
        else:
            self._diverge(rolled_back=True)
        return done

    def _next_batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        # Like a shuffling DataLoader: a fresh permutation each epoch, a short last batch.
        if self._epoch_pos >= len(self._epoch_order):
            self._epoch_order = self._batch_rng.permutation(self._XT.shape[1])
            self._epoch_pos = 0
        idx = self._epoch_order[self._epoch_pos : self._epoch_pos + batch_size]
        self._epoch_pos += batch_size
        return self._XT[:, idx], self._yT[:, idx]

    def _diverge(self, rolled_back: bool) -> None:
        """Stop for good, keeping the last state whose numbers are all finite.

        ``rolled_back`` says the other buffer holds the state before the last step.
        """
        self.diverged = True
        self.version += 1
        if rolled_back and not np.isfinite(self.theta).all():
            self._current = 1 - self._current
            self.step_count -= 1

    def _record(self, loss: float) -> None:
        test = self.test_loss()
        self.history.append(
            self.step_count,
            loss,
            math.nan if test is None else test,
            metrics.symmetry_index_of(self.params, self.config.activation),
        )

    # -- live changes ---------------------------------------------------------------

    def apply_live(self, **changes: Any) -> Config:
        """Change live settings (learning rate, penalties, ...) without a reset."""
        new = self.config.replace_live(**changes)
        applied = {
            name: getattr(new, name)
            for name in changes
            if getattr(new, name) != getattr(self.config, name)
        }
        if not applied:
            return self.config
        self.config = new
        self.optimizer.lr = new.lr
        self.optimizer.momentum = new.momentum
        if "batch_size" in applied:
            self._epoch_pos = len(self._epoch_order)
        self.config_changes.append({"step": self.step_count, **applied})
        self.version += 1
        return new

    # -- reading --------------------------------------------------------------------

    def _workspace(self, width: int) -> Workspace:
        ws = self._workspaces.get(width)
        if ws is None:
            ws = self._workspaces[width] = Workspace(self.config.hidden, width)
        return ws

    def _evaluate(self, XT: np.ndarray, yT: np.ndarray) -> tuple[float, float | None]:
        """(loss, accuracy or None for regression) of the current parameters, no dropout."""
        if XT.shape[1] == 0:
            return math.nan, None
        cfg = self.config
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = output_t(self._buffers[self._current], XT, cfg.activation,
                           self._workspace(XT.shape[1]))
            if cfg.is_regression:
                return mse(out, yT), None
            return bce_with_logits(out, yT), float(np.mean((out > 0.0) == (yT > 0.5)))

    def train_loss(self) -> float:
        """Loss on the whole training set, without dropout."""
        return self._evaluate(self._XT, self._yT)[0]

    def test_loss(self) -> float | None:
        """Loss on the held-out points, or None when there are none."""
        if self._XT_test.shape[1] == 0:
            return None
        return self._evaluate(self._XT_test, self._yT_test)[0]

    def snapshot(self) -> Snapshot:
        """An immutable copy of everything a view needs, metrics included."""
        cfg = self.config
        params = self.params
        summary = metrics.summarize(params, cfg.activation, self._XT)
        self._order = metrics.similarity_order(summary["similarity"], self._order)
        loss, acc = self._evaluate(self._XT, self._yT)
        test_loss = test_acc = None
        if self._XT_test.shape[1] > 0:
            test_loss, test_acc = self._evaluate(self._XT_test, self._yT_test)
        similarity = summary["similarity"]
        similarity.flags.writeable = False
        order = self._order.copy()
        order.flags.writeable = False
        dead = summary["dead"]
        dead.flags.writeable = False
        return Snapshot(
            config=cfg,
            step=self.step_count,
            version=self.version,
            diverged=self.diverged,
            params=_frozen(params),
            grads=_frozen(self.layout.views(self._grad.theta)) if self.has_grad else None,
            loss=loss,
            test_loss=test_loss,
            accuracy=acc,
            test_accuracy=test_acc,
            similarity=similarity,
            order=order,
            dead=dead,
            symmetry_index=summary["symmetry_index"],
            chance_level=self.instruments.chance_level(cfg),
            distinct_units=summary["distinct_units"],
            dead_units=summary["dead_units"],
            max_unit_gap=summary["max_unit_gap"],
            history=self.history.arrays(),
            **self.instruments.snapshot_fields(self.theta, self.step_count, cfg, summary),
        )

    def export(self) -> dict[str, Any]:
        """The run as DESIGN §4's export document (plain JSON-ready data)."""
        hist = self.history.arrays()
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "step": self.step_count,
            # The settings the run started with; config_changes lists later live edits.
            "config": self.start_config.to_dict(),
            "data": {
                "X_train": self.data.X_train.tolist(),
                "y_train": self.data.y_train[:, 0].tolist(),
                "X_test": self.data.X_test.tolist(),
                "y_test": self.data.y_test[:, 0].tolist(),
            },
            "initial_params": self.initial_params.to_lists(),
            "params": self.params.to_lists(),
            "history": {
                name: [_json_float(v) for v in hist[name].tolist()] if name != "step"
                else hist[name].tolist()
                for name in HISTORY_FIELDS
            },
            "diverged": self.diverged,
        }
        if self.config_changes:
            # Settings changed mid-run: a replay needs them to land on the same params.
            document["config_changes"] = list(self.config_changes)
        return document
