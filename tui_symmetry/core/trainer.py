"""The Trainer: owns one run's state, steps it, and hands out immutable snapshots
(core/snapshot.py; its loss curves are kept by core/history.py).

One step follows the update order of docs/maths.md exactly: batch → data-loss gradient
→ L2 → tie → gradient noise → optimizer → L1 proximal step.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tui_symmetry.core import conv, metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import (
    STREAM_BATCH,
    STREAM_INIT,
    STREAM_NOISE,
    Dataset,
    make_dataset,
    rng_for,
)
from tui_symmetry.core.gradients import gradient_gaps, gradient_norms
from tui_symmetry.core.history import HISTORY_CAPACITY, History
from tui_symmetry.core.init import draw_params
from tui_symmetry.core.instruments import Instruments
from tui_symmetry.core.model import model_for
from tui_symmetry.core.network import (
    ACTIVATIONS,
    LOSSES,
    ParamLayout,
    Params,
    UnitMajorViews,
    Workspace,
    target_rows,
)
from tui_symmetry.core.one_unit import OneUnitOptimum, Optimizer, one_unit_optimum
from tui_symmetry.core.optim import make_optimizer
from tui_symmetry.core.pictures import (
    UnitPictures,
    class_counts,
    class_means,
    confusion_matrix,
    unit_images,
)
from tui_symmetry.core.regularize import add_grad_noise, add_l2, add_tie, dropout_mask, l1_prox
from tui_symmetry.core.saddle import spread as units_spread
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.unit_maps import MAX_MAPPED_INPUTS, UnitMapper, UnitMaps

ORDER_CHANGE = 0.02
"""How far a similarity moves before the similarity order is redone (core/metrics.py)."""

DIVERGED_LOSS = 1e30
"""A training loss above this counts as divergence, exactly like a NaN or an infinity.

A run can explode for thousands of steps before anything overflows (``--init xavier
--tie 11`` climbs geometrically to 4e237 first), showing numbers that mean nothing.
Past 1e30 the data no longer takes part in the arithmetic: the outputs are beyond
1e15, where float64's spacing (about 0.1) swallows every target (|y| ≤ about 1).  No
run that still learns gets anywhere near it: the largest loss a legal configuration
starts with is orders of magnitude smaller.
"""


def _one_unit_network(params: Params, units: np.ndarray) -> bool:
    """True when the live units are bit-identical: the network computes exactly what
    one unit does (units without incoming weights add a constant at most)."""
    return metrics.max_unit_gap(units[~metrics.dead_mask(params)]) == 0.0


def predicted_classes(out: np.ndarray) -> np.ndarray:
    """(N,) the class each sample is given from the outputs ``out`` (C, N): the largest
    output (softmax), or 1 where one logit is above 0."""
    if out.shape[0] > 1:
        return np.argmax(out, axis=0)
    return (out[0] > 0.0).astype(np.int64)


def true_classes(yT: np.ndarray) -> np.ndarray:
    """(N,) the class of each sample from the targets the kernels read: one-hot rows
    (C, N), or one row of 0/1 labels (1, N)."""
    if yT.shape[0] > 1:
        return np.argmax(yT, axis=0)
    return (yT[0] > 0.5).astype(np.int64)


def _frozen(params: Params) -> Params:
    copied = params.copy()
    for array in copied.as_tuple():
        array.flags.writeable = False
    return copied


def _checked_start(params: Params, layout: ParamLayout) -> Params:
    """``params`` when their shapes are ``layout``'s and every entry is finite."""
    H, D, C = layout.hidden, layout.inputs, layout.outputs
    shapes = ((H, D), (H,), (C, H * layout.positions), (C,))
    for name, array, shape in zip(("W1", "b1", "W2", "b2"), params.as_tuple(), shapes,
                                  strict=True):
        if np.shape(array) != shape:
            raise ValueError(f"start parameters: {name} is {np.shape(array)}, the "
                             f"network needs {shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"start parameters: {name} holds a value that is not finite")
    return params


class Trainer:
    """Config in, trained state out.  Not thread-safe: one owner calls step().

    ``start_seed``, when given, replaces ``config.seed`` for everything but the data:
    the initial weights, the minibatches, the dropout masks and the gradient noise (an
    independent start on the same data, for compare's trained baseline, experiments/baseline.py;
    such a run is not the run its config describes, so it is never exported).

    ``start_params``, when given, are the initial parameters in place of the config's
    init (the duplicate experiment's "play from here": a network with a unit copied);
    their shapes must be the config's.  ``start`` says where they came from (a plain
    dict, exported as the run's ``start``); the minibatches, masks and noise still
    follow the seed.
    """

    def __init__(self, config: Config, history_capacity: int = HISTORY_CAPACITY, *,
                 start_seed: int | None = None, start_params: Params | None = None,
                 start: dict[str, Any] | None = None) -> None:
        self.config = config
        self.start_config = config  # the export's "config"; config_changes lists the rest
        self.data: Dataset = make_dataset(config)
        self.model = model = model_for(config)
        self.param_layout = layout = model.layout
        self._kernel = model.kernel
        seed = config.seed if start_seed is None else start_seed
        if start_params is None:
            theta = layout.pack(draw_params(config, rng_for(seed, STREAM_INIT)))
        else:
            theta = layout.pack(_checked_start(start_params, layout))
        self.start = start
        # Two parameter buffers: a step writes the new parameters into the other one, so
        # the previous state survives for a rollback when a step diverges.
        self._buffers = (UnitMajorViews(layout, theta),
                         UnitMajorViews(layout, np.empty_like(theta)))
        self._current = 0
        self._grad = UnitMajorViews(layout, np.zeros(layout.size))
        # The kernel's inputs (samples last: [Xᵀ; 1] (D + 1, N) or a conv's patches
        # (k² + 1, Q, N)) and targets (C, N), made once.
        loss = LOSSES[config.loss]
        self._XT = model.inputs(self.data.X_train)
        self._yT = target_rows(self.data.y_train, loss, config.output_dim)
        self._XT_test = model.inputs(self.data.X_test)
        self._yT_test = target_rows(self.data.y_test, loss, config.output_dim)
        self._workspaces: dict[int, Workspace] = {}
        self.initial_params: Params = _frozen(self.params)
        self.optimizer = make_optimizer(config.optimizer, config.lr, config.momentum)
        self.step_count = 0
        # Grows whenever the state changes (steps, live edits, divergence): a runner
        # compares it to know whether a new snapshot is worth taking.
        self.changes = 0
        self.diverged = False
        self.history = History(history_capacity)
        self.config_changes: list[dict[str, Any]] = []
        self._batch_rng = rng_for(seed, STREAM_BATCH)
        self._noise_rng = rng_for(seed, STREAM_NOISE)
        self._epoch_order = np.arange(0)
        self._epoch_pos = 0
        self._order: np.ndarray | None = None
        self._seriated_on: np.ndarray | None = None  # the similarities _order was made for
        self._mapper: UnitMapper | None = None  # the units view's grids, made on first use
        self._data_grad = UnitMajorViews(layout, np.zeros(layout.size))
        # The best loss of one unit on this data (core/one_unit.py): costly (a fraction
        # of a second), so it is known only once asked for with learn_one_unit_loss();
        # a snapshot never reaches for it on its own, so the same steps always give
        # the same picture.
        self.one_unit: OneUnitOptimum | None = None
        self.one_unit_loss: float | None = None
        # The lowest loss recorded while the live units were bit-identical: the run was
        # a one-unit network then, so this too bounds the best loss of one unit.  Taken
        # at history points only, so it does not depend on when snapshots are taken.
        self.identical_best = math.inf
        self.instruments = Instruments(config, layout, self.theta, self._XT, self._yT)
        self._record(self.train_loss())

    # -- training -------------------------------------------------------------------

    @property
    def theta(self) -> np.ndarray:
        """The current parameters as one flat vector (see network.ParamLayout)."""
        return self._buffers[self._current].theta

    @property
    def params(self) -> Params:
        """The current parameters (views into the live buffer; do not mutate)."""
        return self.param_layout.views(self.theta)

    def step(self, n: int = 1) -> int:
        """Run up to ``n`` training steps; returns how many ran (fewer if it diverged).

        A step whose loss is not finite or above DIVERGED_LOSS, or that leaves a
        non-finite parameter, ends training for good: ``diverged`` turns True and the
        run goes back to its last sane state (see _diverge).
        """
        if self.diverged or n <= 0:
            return 0
        done = 0
        instruments = self.instruments
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # Cut at the steps the saddle instrument reads on its own (see
            # Instruments.steps_to_reading): the same steps however n is chunked.
            while done < n and not self.diverged:
                due = instruments.steps_to_reading(self.step_count, self.config)
                if due == 0:
                    instruments.read_on_schedule(self.theta, self.step_count, self.config)
                    due = instruments.steps_to_reading(self.step_count, self.config)
                chunk = n - done if due is None else min(n - done, max(1, due))
                ran = self._run(chunk)
                done += ran
                if ran < chunk:
                    break
        return done

    def _run(self, n: int) -> int:
        cfg = self.config
        act, loss_record = ACTIVATIONS[cfg.activation], LOSSES[cfg.loss]
        kernel = self._kernel
        layout, hidden = self.param_layout, cfg.units
        opt = self.optimizer
        grad_views = self._grad
        grad = grad_views.theta
        buffers = self._buffers
        current = self._current
        n_train = self._XT.shape[-1]
        next_record = self.history.next_step()
        done = 0
        for _ in range(n):
            full_batch = cfg.batch_size == 0 or cfg.batch_size >= n_train
            if full_batch:
                XT, yT = self._XT, self._yT
            else:
                XT, yT = self._next_batch(cfg.batch_size)
            maskT = (
                dropout_mask((hidden, XT.shape[-1]), cfg.dropout, self._noise_rng)
                if cfg.dropout > 0
                else None
            )
            params = buffers[current]
            ws = self._workspace(XT.shape[-1])
            loss = kernel(params, XT, yT, act, loss_record, grad_views, ws, maskT)
            if not loss <= DIVERGED_LOSS:  # NaN compares False too
                self._current = current
                self._diverge()
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
        if np.isfinite(self.theta).all():
            self.changes += 1
        else:
            self._diverge()
        return done

    def _next_batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        # Like a shuffling DataLoader: a fresh permutation each epoch, a short last batch.
        if self._epoch_pos >= len(self._epoch_order):
            self._epoch_order = self._batch_rng.permutation(self._XT.shape[-1])
            self._epoch_pos = 0
        idx = self._epoch_order[self._epoch_pos : self._epoch_pos + batch_size]
        self._epoch_pos += batch_size
        return self._XT[..., idx], self._yT[:, idx]

    def _diverge(self) -> None:
        """Stop for good and go back one step, to the last sane state.

        The current state is not sane: its loss ran away or a parameter is not finite.
        The one before it is: a step was taken from it, so its parameters were finite
        and its loss passed the DIVERGED_LOSS check.  It is still in the other buffer
        (only a step overwrites a buffer).  Without any step there is nothing to go
        back to, and the initial state is kept.
        """
        self.diverged = True
        self.changes += 1
        if self.step_count > 0:
            self._current = 1 - self._current
            self.step_count -= 1

    def _record(self, loss: float) -> None:
        test = self.test_loss()
        params = self.params
        units = metrics.unit_vectors(params)
        # Bit-identical units have no spread; the mean ū itself is rounded, so the
        # formula alone would read ~1e-16 and draw rounding noise as a curve.
        spread = 0.0 if (units == units[:1]).all() else units_spread(units)
        if _one_unit_network(params, units):
            self.identical_best = min(self.identical_best, loss)
        self.history.append(
            self.step_count,
            loss,
            math.nan if test is None else test,
            metrics.symmetry_index_of(params, self.config.activation),
            spread,
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
        self.changes += 1
        return new

    def permute_units(self, perm: np.ndarray) -> None:
        """Relabel the hidden units: new unit j is old unit ``perm[j]``.

        The network computes the same function (the output sums over units), so the
        loss and the outputs stay the same; the optimizer's per-parameter state moves
        with its parameters, so training carries on exactly as the old labelling would.
        """
        hidden = self.param_layout.hidden  # H units or K filters
        perm = np.asarray(perm, dtype=np.intp)
        if sorted(perm.tolist()) != list(range(hidden)):
            raise ValueError(f"not a permutation of {hidden} units: {perm.tolist()}")
        index = self.param_layout.unit_permutation(perm)
        theta = self.theta
        theta[:] = theta[index]
        self.optimizer.permute(index)
        if self._order is not None and len(self._order) == hidden:
            # The similarity order follows the units, so the picture does not jump.
            self._order = np.argsort(perm)[self._order]
            if self._seriated_on is not None:
                self._seriated_on = self._seriated_on[np.ix_(perm, perm)]
        self.changes += 1

    # -- reading --------------------------------------------------------------------

    def _workspace(self, width: int) -> Workspace:
        ws = self._workspaces.get(width)
        if ws is None:
            ws = self._workspaces[width] = self.model.workspace(width)
        return ws

    def _evaluate(self, XT: np.ndarray, yT: np.ndarray) -> tuple[float, float | None]:
        """(loss, accuracy or None for regression) of the current parameters, no dropout."""
        if XT.shape[-1] == 0:
            return math.nan, None
        cfg = self.config
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = self.model.output(self._buffers[self._current], XT,
                                    ACTIVATIONS[cfg.activation], self._workspace(XT.shape[-1]))
            loss = LOSSES[cfg.loss].value(out, yT)
            if cfg.is_regression:
                return loss, None
            return loss, float(np.mean(predicted_classes(out) == true_classes(yT)))

    def confusion(self) -> np.ndarray | None:
        """(K, K) int64 counts of the test split (the training split when there is no
        test split), rows the true class, columns the predicted one (K classes, 2 for one
        logit); None for a regression."""
        cfg = self.config
        if cfg.is_regression:
            return None
        XT, yT = self._XT_test, self._yT_test
        if XT.shape[-1] == 0:
            XT, yT = self._XT, self._yT
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = self.model.output(self._buffers[self._current], XT,
                                    ACTIVATIONS[cfg.activation], self._workspace(XT.shape[-1]))
            guess = predicted_classes(out)
        counts = confusion_matrix(true_classes(yT), guess, max(2, cfg.output_dim))
        counts.flags.writeable = False
        return counts

    def _class_fields(self) -> dict[str, Any]:
        """The snapshot's class names, confusion matrix and a table's unit pictures."""
        return {"classes": self.config.shape.classes, "confusion": self.confusion(),
                "pictures": self._pictures()}

    def _pictures(self) -> UnitPictures | None:
        """The units as a table's pictures: each unit's mean activation per class on the
        training rows, and its incoming weights as images for image data (digits)."""
        cfg = self.config
        if not cfg.is_table or cfg.is_regression:
            return None
        shape = cfg.shape
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            aT = self.model.activity(self._buffers[self._current], self._XT,
                                     ACTIVATIONS[cfg.activation],
                                     self._workspace(self._XT.shape[-1]))
            labels = true_classes(self._yT)
            K = len(shape.classes)
            means = class_means(aT, labels, K)
        means.flags.writeable = False
        picture = self.model.picture  # a digit's 8 × 8, or a filter's k × k kernel
        images = None if picture is None else unit_images(self.params.W1, picture)
        counts = class_counts(labels, K)
        counts.flags.writeable = False
        return UnitPictures(images, means, counts)

    def learn_one_unit_loss(self, find: Optimizer | None = None) -> float:
        """Compute the best one-unit loss on this run's data (cached per dataset and
        activation; ``find`` searches on a miss, core.one_unit.optimize by default) and
        carry it in every snapshot from now on.  Safe to call from another thread: it
        only sets attributes when done, the loss last.  For a conv run it is the best
        loss of one filter (core/one_unit.py, conv_search)."""
        found = one_unit_optimum(self.config, find)
        self.one_unit = found
        self.one_unit_loss = found.loss
        return found.loss

    def _one_unit_fields(self, loss: float, identical: bool) -> dict[str, Any]:
        """The snapshot's one-unit fields: the optimizer's best, or this run's own loss
        while its units were identical (now included) where that is lower."""
        found = self.one_unit
        if found is None or self.one_unit_loss is None:
            return {}
        own = min(self.identical_best, loss) if identical else self.identical_best
        bound = found.bound
        if own < found.loss:
            return {"one_unit_loss": own, "one_unit_source": "this run",
                    "one_unit_weights_grow": found.weights_grow, "one_unit_bound": bound}
        return {"one_unit_loss": found.loss, "one_unit_source": "optimizer",
                "one_unit_weights_grow": found.weights_grow, "one_unit_bound": bound}

    def train_loss(self) -> float:
        """Loss on the whole training set, without dropout."""
        return self._evaluate(self._XT, self._yT)[0]

    def test_loss(self) -> float | None:
        """Loss on the held-out points, or None when there are none."""
        if self._XT_test.shape[-1] == 0:
            return None
        return self._evaluate(self._XT_test, self._yT_test)[0]

    def snapshot(self, version: int = 0, steps_per_s: float = 0.0,
                 max_reading_age: int | None = 0, image_index: int = 0) -> Snapshot:
        """An immutable copy of everything a view needs, metrics included.

        ``version`` and ``steps_per_s`` are the caller's to give: a runner numbers its
        pictures and measures the rate over wall time, which the Trainer cannot see.
        ``max_reading_age`` is how many steps old the saddle reading may be: 0 (the
        default) reads it at this very step; a caller picturing a run while it trains
        flat out passes None, and the reading's cost spaces readings (see
        Instruments.reading); instruments.NO_READING takes none now (the last reading,
        which names its step, or none yet: a runner's first picture).  ``image_index``
        chooses the training image a conv run's feature maps are drawn on (taken modulo
        the training images, so stepping past either end wraps around).
        """
        cfg = self.config
        params = self.params
        summary = metrics.summarize(params, cfg.activation, self._XT)
        self._seriate(summary["similarity"])
        loss, acc = self._evaluate(self._XT, self._yT)
        test_loss = self.test_loss()
        similarity = summary["similarity"]
        similarity.flags.writeable = False
        order = self._order.copy()
        order.flags.writeable = False
        dead = summary["dead"]
        dead.flags.writeable = False
        unit_maps, grad_norms, grad_gaps = self._unit_pictures()
        return Snapshot(
            config=cfg,
            step=self.step_count,
            version=version,
            diverged=self.diverged,
            params=_frozen(params),
            loss=loss,
            test_loss=test_loss,
            accuracy=acc,
            similarity=similarity,
            order=order,
            dead=dead,
            symmetry_index=summary["symmetry_index"],
            chance_level=self.instruments.chance_level(cfg),
            distinct_units=summary["distinct_units"],
            dead_units=summary["dead_units"],
            max_unit_gap=summary["max_unit_gap"],
            history=self.history.arrays(),
            steps_per_s=steps_per_s,
            unit_maps=unit_maps,
            **self._class_fields(),
            grad_norms=grad_norms,
            grad_gaps=grad_gaps,
            **self.instruments.snapshot_fields(self.theta, self.step_count, cfg, summary,
                                               max_reading_age, self.diverged),
            **self._one_unit_fields(loss, summary["max_unit_gap"] == 0.0),
            live_changed_at=self.config_changes[-1]["step"] if self.config_changes else None,
            **self._filter_fields(image_index),
        )

    def _seriate(self, S: np.ndarray) -> None:
        """Redo the similarity order only once some similarity has moved by ORDER_CHANGE
        since the last one (it costs milliseconds at H = 64), aligned to the order on
        screen: a display that reshuffles at every picture cannot be read."""
        seriated = self._seriated_on
        if (self._order is None or seriated is None or seriated.shape != S.shape
                or not np.all(np.abs(S - seriated) <= ORDER_CHANGE)):
            self._order = metrics.similarity_order(S, self._order)
            self._seriated_on = S.copy()

    def on_image(self, snapshot: Snapshot, image_index: int, version: int) -> Snapshot:
        """``snapshot`` (one of this run's, of any step since its last reset) with a conv
        run's feature maps and answer on training image ``image_index`` instead,
        computed from the snapshot's own parameters (true for its step even while the
        run has trained on), stamped ``version``: the filters view's ← → cost these
        fields only, not a whole snapshot."""
        return dataclasses.replace(snapshot, version=version,
                                   **self._filter_fields(image_index, snapshot.params))

    def _filter_fields(self, image_index: int, params: Params | None = None
                       ) -> dict[str, Any]:
        """A conv run's feature maps on one training image, and what the network of
        ``params`` (the current ones by default) makes of that image (Snapshot's
        feature_maps and image_* fields); nothing for an MLP."""
        cfg = self.config
        if not cfg.is_conv:
            return {}
        index = int(image_index) % self._XT.shape[-1]
        image = self.data.X_train[index].reshape(cfg.shape.image)
        layout = self.param_layout
        views = (self._buffers[self._current] if params is None
                 else UnitMajorViews(layout, layout.pack(params)))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            maps = conv.feature_maps(layout.views(views.theta), image, cfg.kernel,
                                     ACTIVATIONS[cfg.activation]).astype(np.float32)
            out = self.model.output(views, self._XT[..., index:index + 1],
                                    ACTIVATIONS[cfg.activation], self._workspace(1))[:, 0]
            shifted = np.exp(out - out.max())
        guess = int(np.argmax(out))
        maps.flags.writeable = False
        pixels = image.copy()
        pixels.flags.writeable = False
        return {"feature_maps": maps, "image_index": index, "image": pixels,
                "image_label": int(true_classes(self._yT[:, index:index + 1])[0]),
                "image_prediction": guess,
                "image_confidence": float(shifted[guess] / shifted.sum())}

    def _unit_pictures(self) -> tuple[UnitMaps | None, np.ndarray, np.ndarray]:
        """The units view's share of a snapshot: the maps, gradient norms and gaps.

        The gradient is the data loss's on the whole training set, without dropout or
        penalties (why: core/gradients.py), computed here rather than taken from the
        last step, whose gradient holds the penalties, noise and that step's batch.
        """
        cfg = self.config
        params = self._buffers[self._current]
        # A regression on the plane (the teacher) has no class to colour the output
        # map by: its snapshots carry no maps rather than a p(class 1) that is not one.
        plane_regression = cfg.is_regression and cfg.input_dim == 2
        if (self._mapper is None and not cfg.is_conv and cfg.input_dim <= MAX_MAPPED_INPUTS
                and not plane_regression):
            self._mapper = UnitMapper(self.data, cfg.hidden)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._kernel(params, self._XT, self._yT, ACTIVATIONS[cfg.activation],
                         LOSSES[cfg.loss], self._data_grad, self._workspace(self._XT.shape[-1]))
        grads = metrics.unit_vectors(self.param_layout.views(self._data_grad.theta))
        norms, gaps = gradient_norms(grads), gradient_gaps(grads)
        norms.flags.writeable = gaps.flags.writeable = False
        maps = None if self._mapper is None else self._mapper.maps(params, cfg.activation)
        return maps, norms, gaps
