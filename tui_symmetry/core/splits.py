"""Every change of the number of distinct units at its exact step, for little more than
a copy of the parameters per step.

The tracker records every change of the number of distinct units
(:func:`tui_symmetry.core.metrics.distinct_units`) at its exact step, rises and falls,
as (step, k_before, k_after): the raw *events*.  The splits and merges a run reports
are the lasting ones derived from them (:mod:`tui_symmetry.core.lasting`: a change
that holds for LASTING_STEPS steps).  Computing distinct units after every step would
cost as much as the step; the tracker proves, pair by pair, that nothing changed, and
computes only what it cannot vouch for (docs/maths.md, "How the tracker keeps count").

**What the count depends on.**  The count is a sum over the *parts* of the alike graph
(the connected parts of the graph S_ij ≥ threshold over the live units): complete
linkage only merges clusters whose cross pairs are all alike, so it never merges
across parts.  A part that is a clique is one group whatever the order of merging; in
any other part the count is its units minus the merges complete linkage makes there,
and that depends on the order (:class:`MergeCertificate`).

**Intervals.**  Each pair of live units gets an interval its similarity must stay in:
[threshold, ∞) if alike, (−∞, threshold) if not, and inside a part that is no clique
a tighter one that keeps complete linkage's merges as they are: every merge's cross
pairs above a cut, and one cross pair of every cluster pair it beat below it.  While
every pair is in its interval the count is what it was.

**How far a similarity can move.**  Each S_ij is a function of the angle θ_ij between
the incoming directions ŵ_i, ŵ_j of p = [w, b], while the signs of the outgoing weights
stay: (1 + cos θ)/2 for the balanced rows of relu, leaky relu, tanh and sigmoid (θ
measured to −ŵ_j for the flip of tanh and sigmoid), cos θ for linear, and in the few
other cases (a zero outgoing weight; relu with opposite signs) a function that moves at
most |Δcos θ|/N_ij.  θ_ij moves by at most the sum of the two units' turns, so each pair
gets its *room*: the angle θ_ij may move before S_ij can reach an end of its interval.
Near the threshold that is 1/sin θ ≈ 5 times the room of the cosine itself, far more
for near-copies.

**How far a unit can turn.**  At a unit's *anchor* the tracker notes ‖w_i‖, ‖p_i‖ and
|v_i|.  Its direction ŵ turns at the rate ‖dp‖/‖p‖, and ‖p‖ ≥ ‖p_i‖ − ℓ after a path ℓ
of p, so it has turned by at most −ln(1 − ℓ/‖p_i‖) radians; its incoming weights
cannot reach zero while ℓ < ‖w_i‖ (‖w‖ ≥ ‖w_i‖ − ℓ), and v keeps its sign while v has
moved less than |v_i|.  Per step, unit by unit, the path grows by ‖Δp‖, and the
tracker adds the turns up into G_i: how far unit i can have turned since the start.
A pair is *in doubt* once G_i + G_j has grown by its room since the pair was last
computed.  A unit whose path reaches half of ‖w_i‖ (or of |v_i|) is anchored afresh,
alone; G_i carries on.

**Several outputs.**  With C > 1 outputs S is cos Θ (absolute for tanh and sigmoid) of
the canonical rows c = [ŵ, v̂]/√2 (linear: v̂ ⊗ ŵ), κ = 1/2: a row turns at most
(t_w + t_v)/√2 (linear: t_w + t_v) for the turns t_w of ŵ and t_v of v̂ = v̄/‖v̄‖, the
latter bounded like ŵ's after a path of the centred outgoing vector v̄ (computed as
the similarities compute it).  No sign is followed; a unit is anchored afresh as a
whole when either path reaches REANCHOR_SHARE, and most of either scale in one step
is a full evaluation.

**What it cannot vouch for.**  The tracker keeps a copy of each step's parameters and
accounts for them MAX_BATCH at a time, or whenever it is read: the paths of all held
steps in a few vector operations, then the pairs in doubt, computed exactly at the
held steps from their first step in doubt (the same bits as a full evaluation: each
similarity is built from its two units alone, in a fixed order).  At the first step
at which a pair left its interval, it computes every pair of the parts involved
there, carries their parts over where their merges provably stay and forms them
afresh otherwise, and counts them (an event if the count changed); the later steps
are then accounted for from there.  A pair computed and still inside its interval
gets its room afresh.  An outgoing weight that moves most of its scale in one step
(BROKEN_SHARE; it may have changed sign, and with it every similarity of its unit)
has its unit's pairs computed at that step, with the pairs in doubt there, and
counted afresh as above where they left their intervals.  A unit's weights reaching
exact zero or leaving it (a unit without incoming weights, a zero outgoing weight:
watched directly), a path of p of most of a scale in one step, and merges that
cannot be told apart (equal heights) bring a full evaluation of every pair with
scipy's linkage.  Steps are accounted for in order, so the first step at which
anything can have changed is the step that is looked at.  Each step is measured from
the last parameters accounted for, so parameters changed between steps (the units
relabelled) are movement like any other.

**Counting in full.**  While many units split at once a big part is counted afresh at
most steps, each time with a certificate built anew over its units, which costs
several full counts.  The tracker scores the parts it counts afresh (their units
squared) over PROBE_STEPS tracked steps; past FULL_SHARE of H² per step it counts a
stretch of steps in full (similarities and scipy's linkage after every step, as
metrics.distinct_units), then evaluates everything afresh and tracks again
(docs/maths.md).

**Copies.**  While every unit is a bit-identical copy of unit 0 (a symmetric start),
every pair has the same similarity: such steps are counted from one pair and no pair
is followed; the pairs are evaluated afresh where the units come apart.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.lasting import LASTING_STEPS, Change, LastingChanges, LastingCount
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, count_groups
from tui_symmetry.core.network import ParamLayout, unit_shape
from tui_symmetry.core.similarity import (
    pair_cosines,
    sign_flip,
    similarity_matrix,
    symmetry_of,
    unit_directions,
)

# Rounding in the computed similarities: a room is trusted only beyond this.
_ROUNDING_SLACK = 1e-12
# A unit is anchored afresh once its paths reach this share of its scales (the turn
# bound grows without limit as the share nears 1) ...
REANCHOR_SHARE = 0.5
# ... and a path that jumps past this share in one step is trusted to nothing: a full
# evaluation (well short of 1, where a sign or the incoming weights may be gone).
BROKEN_SHARE = 0.9
# Scales whose inverse could overflow: such a unit's numbers are watched instead.
_TINY = 1e-150
# Steps held before they are accounted for.
MAX_BATCH = 256
# A pair in doubt is computed from its first step in doubt to the end of a window of
# steps, where it gets its room afresh.  A window costs about as much as this many
# similarities (numpy's overhead per call), so with n pairs in doubt the window is
# about WINDOW_PAIRS / n steps: the similarities computed before they were needed cost
# about as much as the windows.
WINDOW_PAIRS = 2048
MIN_WINDOW, MAX_WINDOW = 16, 128
# The turns are counted from zero again once one passes this (rounding in G_i + G_j).
_REBASE_TURN = 1.0
# Counting every step in full (scipy's linkage) instead: once the parts counted afresh
# over PROBE_STEPS tracked steps add up to FULL_SHARE of every unit per step (in units
# squared; a part of all H units counted afresh costs 3-6 full counts at H = 16-256).
# A stretch in full lasts FULL_STEPS, doubled while the probe after it is as busy, up
# to MAX_FULL_STEPS.
PROBE_STEPS = 64
FULL_SHARE = 0.25
FULL_STEPS, MAX_FULL_STEPS = 256, 2048


def chord_angle(S: np.ndarray, kappa: np.ndarray | float) -> np.ndarray:
    """The angle θ with S = 1 − sin²(θ/2)/κ: (1 + cos θ)/2 for κ = 1, cos θ for κ = 1/2.

    From 1 − S (exact near S = 1), so a near-copy's small angle keeps its digits.
    """
    return 2.0 * np.arcsin(np.sqrt(np.clip(kappa * (1.0 - S), 0.0, 1.0)))


class MergeCertificate:
    """Complete linkage inside one part of the alike graph that is no clique, and what
    keeps its merges as they are.

    Complete linkage merges next, among the cluster pairs whose cross pairs are all
    alike ("open"), the one whose farthest cross pair is nearest (its height D).  Every
    open pair is either merged at some stage or a *rival* there: open when one of its
    clusters is merged with another.  The merges stay the merges (possibly in another
    order, which changes nothing) while every rival stays above the merge it lost to
    (docs/maths.md, "How the tracker keeps count"); it suffices that each stage's
    *leaves* (every cross pair of its merge) keep a distance below a cut and one cross
    pair of each rival (its farthest, the *witness*) above it.  In similarities: the
    leaves at or above a level, the witnesses below it.  Pairs that became alike
    later and are less alike than every leaf (*top* pairs) join as witnesses of one
    more level, below every leaf: they cannot take part before every merge is made.
    """

    def __init__(self, S: np.ndarray, pair_id: np.ndarray, threshold: float) -> None:
        """``S``: the similarities of one part's units (n, n); ``pair_id``: their pairs."""
        n = len(S)
        height = np.where(threshold <= S, 1.0 - S, math.inf)
        np.fill_diagonal(height, math.inf)
        witness = pair_id.copy()
        # Per stage: the rows of the two clusters merged (height and farthest pair to
        # every other cluster), and the leaves it joined.
        rows = np.empty((2, n - 1, n))
        far = np.empty((2, n - 1, n), dtype=np.intp)
        members = [[u] for u in range(n)]
        cluster = np.arange(n)
        merged: list[float] = []
        leaf_i: list[int] = []
        leaf_j: list[int] = []
        leaf_stage: list[int] = []
        for stage in range(n - 1):
            a, b = divmod(int(height.argmin()), n)
            h = height[a, b]
            if h == math.inf:
                break
            merged.append(h)
            row_a, row_b = rows[0, stage], rows[1, stage]
            row_a[:], row_b[:] = height[a], height[b]
            far[0, stage], far[1, stage] = witness[a], witness[b]
            row_a[b] = row_b[a] = math.inf
            # D(A ∪ B, Z) = max(D(A, Z), D(B, Z)), open only where both are.
            joined = np.maximum(row_a, row_b)
            farther = np.where(row_b > row_a, far[1, stage], far[0, stage])
            height[a], height[:, a] = joined, joined
            witness[a], witness[:, a] = farther, farther
            height[b], height[:, b] = math.inf, math.inf
            for u in members[a]:
                leaf_i += [u] * len(members[b])
                leaf_j += members[b]
            leaf_stage += [stage] * (len(members[a]) * len(members[b]))
            members[a] += members[b]
            cluster[members[b]] = a
        stages = len(merged)
        self.merges = stages
        self.cluster = cluster
        self.inside = pair_id[leaf_i, leaf_j]
        self._leaf_stage = np.array(leaf_stage, dtype=np.intp)
        # Rivals: every cluster pair open beside a merge, stage by stage.
        opened = rows[:, :stages] < math.inf
        side, stage_of, column = np.nonzero(opened)
        order = np.argsort(stage_of, kind="stable")
        self.witnesses = far[side, stage_of, column][order]
        self._witness_stage = stage_of[order]
        beaten = rows[side, stage_of, column][order]
        self.tied = bool((beaten <= np.asarray(merged)[self._witness_stage]).any())
        self.top = np.zeros(0, dtype=np.intp)
        self._stages = stages
        self._index()

    @classmethod
    def joined(cls, pieces: list[MergeCertificate | np.ndarray], top: int) -> MergeCertificate:
        """The certificate of parts joined by the alike pair ``top``, less alike than
        any of their leaves: the parts' certificates, or for a clique its pairs (all
        leaves, of one stage beating no rival)."""
        self = cls.__new__(cls)
        inside, leaf_stage, witnesses, witness_stage, tops = [], [], [], [], []
        self.merges = self._stages = 0
        for piece in pieces:
            if isinstance(piece, MergeCertificate):
                inside.append(piece.inside)
                leaf_stage.append(piece._leaf_stage + self._stages)
                witnesses.append(piece.witnesses)
                witness_stage.append(piece._witness_stage + self._stages)
                tops.append(piece.top)
                self.merges += piece.merges
                self._stages += piece._stages
            elif len(piece):
                units = round((1 + math.sqrt(1 + 8 * len(piece))) / 2)
                inside.append(piece)
                leaf_stage.append(np.full(len(piece), self._stages))
                self.merges += units - 1
                self._stages += 1
        self.inside = np.concatenate(inside)
        self._leaf_stage = np.concatenate(leaf_stage)
        empty = np.zeros(0, dtype=np.intp)
        self.witnesses = np.concatenate([empty, *witnesses])
        self._witness_stage = np.concatenate([empty, *witness_stage])
        self.top = np.concatenate([*tops, [top]]).astype(np.intp)
        self.tied = False
        self.cluster = np.zeros(0, dtype=np.intp)  # kept by the part
        self._index()
        return self

    def _index(self) -> None:
        """Where each stage's leaves and witnesses start (both sorted by stage)."""
        self._leaf_starts = np.searchsorted(self._leaf_stage, np.arange(self._stages))
        self._rivalled = np.unique(self._witness_stage)
        self._witness_starts = np.searchsorted(self._witness_stage, self._rivalled)

    def levels(self, known: np.ndarray, kappa: float) -> np.ndarray | None:
        """Each stage's level between its leaves and its witnesses for the pair
        similarities ``known`` (−∞ where a stage beat no rival), and last the top pairs'
        level; None where some witness is not below every leaf it must be below: the
        merges may have changed.

        A level halves the angle between the two (:func:`chord_angle`), so both sides
        get the same room."""
        levels = np.full(self._stages + 1, -math.inf)
        leaf_S = known[self.inside]
        lowest = np.minimum.reduceat(leaf_S, self._leaf_starts) if self._stages else leaf_S
        if len(self._rivalled):
            top_witness = np.maximum.reduceat(known[self.witnesses], self._witness_starts)
            level = _level_between(top_witness, lowest[self._rivalled], kappa)
            if level is None:
                return None
            levels[self._rivalled] = level
        if len(self.top):
            level = _level_between(known[self.top].max(keepdims=True),
                                   leaf_S.min(keepdims=True), kappa)
            if level is None:
                return None
            levels[-1] = level[0]
        return levels

    def bound(self, levels: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Tighten the pairs' intervals [lower, upper) to keep these merges."""
        leaf_level = levels[self._leaf_stage]
        if len(self.top):
            np.maximum(leaf_level, levels[-1], out=leaf_level)
            upper[self.top] = np.minimum(upper[self.top], levels[-1])
        np.maximum(lower[self.inside], leaf_level, out=leaf_level)
        lower[self.inside] = leaf_level
        np.minimum.at(upper, self.witnesses, levels[self._witness_stage])


def _level_between(below: np.ndarray, above: np.ndarray, kappa: float) -> np.ndarray | None:
    """Levels a with below < a ≤ above, halfway in angle; None unless below < above."""
    if not (below < above).all():
        return None
    middle = (chord_angle(above, kappa) + chord_angle(below, kappa)) / 2.0
    level = 1.0 - np.sin(middle / 2.0) ** 2 / kappa
    # Rounding may put the middle onto a side: the lowest leaf itself separates too.
    return np.where((below < level) & (level <= above), level, above)


class _Part:
    """One connected part of the alike graph: its units, its count of groups (None
    when merges tie and only scipy's linkage over every unit decides), each unit's
    final cluster (a unit of it) and, if it is no clique, the certificate of its
    merges and their levels."""

    def __init__(self, units: np.ndarray, count: int | None, cluster: np.ndarray,
                 certificate: MergeCertificate | None = None,
                 levels: np.ndarray | None = None) -> None:
        self.units = units
        self.count = count
        self.cluster = cluster
        self.certificate = certificate
        self.levels = levels

    def leaves(self, pair_at: np.ndarray) -> MergeCertificate | np.ndarray:
        """Its certificate, or for a clique the pairs among its units."""
        if self.certificate is not None:
            return self.certificate
        i, j = np.triu_indices(len(self.units), 1)
        return pair_at[self.units[i], self.units[j]]

    def final(self, unit: int) -> np.ndarray:
        """The units of ``unit``'s final cluster."""
        return self.units[self.cluster == self.cluster[np.searchsorted(self.units, unit)]]


class SplitTracker:
    """Follows the number of distinct units of one run and records every change.

    Call :meth:`observe` after every step; read :attr:`events`, :meth:`changes` and
    :attr:`distinct` (reading accounts for any steps still held).  ``evaluations``
    counts the full evaluations, ``recounts`` the parts counted afresh at a step,
    ``pair_checks`` the steps at which pairs in doubt were computed and ``pair_steps``
    the similarities computed that way.
    """

    def __init__(self, layout: ParamLayout, activation: str, theta: np.ndarray, step: int = 0,
                 threshold: float = SAME_UNIT_THRESHOLD, window: int = LASTING_STEPS) -> None:
        self.layout = layout
        self.activation = activation
        self.threshold = threshold
        symmetry = symmetry_of(activation)
        # Canonical rows [ŵ, sgn v] (the rest: ±ŵ, linear): a pair's N_ij and its
        # angle function depend on the signs of its outgoing weights.
        self._balanced = symmetry == "positive_scale" or sign_flip(symmetry)
        self._flip = sign_flip(symmetry)
        H, D = layout.hidden, layout.inputs
        self._n_block = H * (D + 1)
        self._unit_at = layout.unit_positions()
        self._shape = unit_shape(layout.outputs, positions=layout.positions)
        # With C > 1 outputs S = cos Θ of the canonical rows, which turn at most
        # _turn_factor times the turns of ŵ and v̂ (_turns): no signs to follow.
        self._vector = layout.outputs > 1 or layout.positions > 1  # v: a vector
        self._kappa = 1.0 if self._balanced and not self._vector else 0.5
        self._turn_factor = np.ones(H)
        self._first, self._second = np.triu_indices(H, 1)
        P = len(self._first)
        self._pair_at = np.zeros((H, H), dtype=np.intp)
        self._pair_at[self._first, self._second] = np.arange(P)
        self._pair_at[self._second, self._first] = np.arange(P)
        self._events: list[Change] = []
        self._distinct = 0
        self.evaluations = self.recounts = self.pair_checks = self.pair_steps = 0
        self.full_counts = 0
        # The regime: steps left to count in full, the next stretch, and the probe.
        self._full_left = 0
        self._span = MAX_BATCH  # steps the paths are taken ahead (_account)
        self._stretch = FULL_STEPS
        self._probe_steps = self._probe_work = 0
        self._blank(H, P)
        # Steps held, and the parameters of the last step accounted for.
        self._held = np.empty((MAX_BATCH, layout.size))
        self._held_steps = np.zeros(MAX_BATCH, dtype=np.int64)
        self._count = 0
        self._last = np.array(theta, dtype=np.float64)
        self.step = step  # the last step observed
        self._lasting: LastingCount | None = None
        self._start(step)
        self._lasting = LastingCount(self._distinct, window)

    def _blank(self, H: int, P: int) -> None:
        """The state of the P pairs and H units before the first evaluation."""
        # Per pair: the similarity last computed, its interval [lower, upper), the turn
        # sum G_i + G_j at which it is in doubt, and how its similarity follows θ_ij.
        self._known = np.zeros(P)
        self._lower = np.full(P, -math.inf)
        self._upper = np.full(P, math.inf)
        self._limit = np.full(P, math.inf)
        self._alike = np.zeros(P, dtype=bool)
        self._live_pair = np.zeros(P, dtype=bool)
        self._norm = np.ones(P)
        self._chord = np.zeros(P)
        # Per unit: scales at its anchor, its paths since, its turn G_i at that anchor.
        (self._w_scale, self._w_over_p, self._v_scale, self._path, self._v_path,
         self._turned) = np.zeros((6, H))
        self._watch = np.zeros(0, dtype=np.intp)
        self._watch_values = np.zeros(0)
        self._label = np.full(H, -1)
        self._parts: dict[int, _Part] = {}
        self._next_label = 0

    def _start(self, step: int) -> None:
        """The count at the first parameters, and the anchors to track from."""
        self._last_step = step  # the step of self._last
        # While the units are copies no pair is followed: the pairs are stale until an
        # evaluation at self._last, where the units come apart.
        first = self._last[None]
        copies = bool(self._copies(first)[0])
        self._pairs_stale = copies
        if copies:
            self._distinct = int(self._copy_counts(first)[0])
        else:
            self._evaluate(self._last, step)

    @property
    def events(self) -> list[Change]:
        """Every change of the count so far, rises and falls: (step, k_before, k_after)."""
        self.flush()
        return self._events

    def changes(self, step: int | None = None) -> LastingChanges:
        """The lasting splits and merges as known at ``step`` (default: the last step
        observed), and those still pending; events after ``step`` are left out."""
        self.flush()
        assert self._lasting is not None
        return self._lasting.at(self.step if step is None else step)

    @property
    def splits(self) -> tuple[Change, ...]:
        """The lasting splits so far: (step, k_before, k_after)."""
        return self.changes().splits

    @property
    def distinct(self) -> int:
        """Distinct units after the last observed step."""
        self.flush()
        return self._distinct

    @property
    def first_split(self) -> int | None:
        """The step of the first lasting split, or None."""
        return self.changes().split_step

    def observe(self, old: np.ndarray, new: np.ndarray, step: int) -> None:
        """Account for ``step``, which left the parameters at ``new``.

        The step is measured from the last parameters accounted for, not from ``old``,
        so a change between steps (units relabelled) is accounted for too."""
        k = self._count
        self._held[k] = new
        self._held_steps[k] = step
        self._count = k + 1
        self.step = step
        if k + 1 == MAX_BATCH:
            self.flush()

    def flush(self) -> None:
        """Account for the held steps now."""
        n, self._count = self._count, 0
        if not n:
            return
        thetas = self._held[:n]
        finite = np.isfinite(thetas).all(axis=1)
        if not finite.all():
            # The run diverges: the trainer stops and rolls this step back.
            n = int(finite.argmin())
            if not n:
                return
            thetas = thetas[:n]
        steps = self._held_steps[:n]
        copies = self._copies(thetas)
        done = 0
        while done < n:
            # The next run of steps that are all copies, or all not.
            changes = np.flatnonzero(copies[done:] != copies[done])
            end = done + int(changes[0]) if len(changes) else n
            if copies[done]:
                self._count_copies(thetas[done:end], steps[done:end])
            else:
                self._track(thetas[done:end], steps[done:end])
            done = end
            self._last[:] = thetas[end - 1]
            self._last_step = int(steps[end - 1])

    def _track(self, thetas: np.ndarray, steps: np.ndarray) -> None:
        """Account for held steps at which the units are not all copies."""
        n = len(steps)
        if self._pairs_stale:  # the units came apart: from every pair, where they were copies
            self._evaluate(self._last, self._last_step)
            self._pairs_stale = False
        done = 0
        while done < n:
            if self._full_left:
                take = min(n - done, self._full_left)
                self._count_each(thetas[done : done + take], steps[done : done + take])
            else:
                # Right after a stretch in full the probe is as short as it can be.
                probing = self._stretch > FULL_STEPS
                take = n - done if not probing else min(n - done,
                                                        PROBE_STEPS - self._probe_steps)
                self._account(thetas[done : done + take], steps[done : done + take])
                self._probe_steps += take
                self._choose_regime()
            done += take
            self._last[:] = thetas[done - 1]

    def _copies(self, thetas: np.ndarray) -> np.ndarray:
        """Per step: whether every unit's row [w, b, v] is a bit-identical copy of unit
        0's (a symmetric start keeps them so).  Then every pair has the same similarity,
        built from the same bits, and the count is known from one pair."""
        if self.layout.hidden < 2:
            return np.zeros(len(thetas), dtype=bool)
        bits = thetas.view(np.int64)[:, self._unit_at]  # -0.0 is no copy of 0.0
        return (bits == bits[:, :1]).all(axis=(1, 2))

    def _copy_counts(self, thetas: np.ndarray) -> np.ndarray:
        """The count after each of ``thetas``, at which the units are all copies: 0 if
        they are dead, else 1 if their one similarity is alike (as it is for any
        direction with itself), else one per unit; :meth:`_full_count`'s answer.

        The pair is computed from two of the copies, each similarity from its own two
        units (similarity.cosine_matrix), so it has the bits of every pair."""
        two = thetas[:, self._unit_at[:2]]
        S = similarity_matrix(two, self.activation, self._shape)[:, 0, 1]
        live = two[:, 0, : self.layout.inputs].any(axis=1)
        return np.where(live, np.where(self.threshold <= S, 1, self.layout.hidden), 0)

    def _count_copies(self, thetas: np.ndarray, steps: np.ndarray) -> None:
        """Count held steps at which the units are all copies, without their pairs."""
        for count, step in zip(self._copy_counts(thetas).tolist(), steps.tolist(), strict=True):
            if count != self._distinct:
                self._record(step, self._distinct, count)
                self._distinct = count
        self._pairs_stale = True

    def _count_each(self, thetas: np.ndarray, steps: np.ndarray) -> None:
        """Count each of the steps ``thetas`` in full; at the end of the stretch,
        everything anchored afresh for tracking."""
        for theta, step in zip(thetas, steps, strict=True):
            count = self._full_count(theta)[2]
            if count != self._distinct:
                self._record(int(step), self._distinct, count)
                self._distinct = count
        self.full_counts += len(thetas)
        self._full_left -= len(thetas)
        if not self._full_left:
            self._evaluate(thetas[-1], int(steps[-1]))
            self._probe_work = 0  # the probe measures tracking, not this

    def _choose_regime(self) -> None:
        """After PROBE_STEPS tracked steps: count in full for a stretch if the parts
        counted afresh cost more than full counts would (FULL_SHARE)."""
        if self._probe_steps < PROBE_STEPS:
            return
        H = self.layout.hidden
        if self._probe_work >= FULL_SHARE * self._probe_steps * H * H:
            self._full_left = self._stretch
            self._stretch = min(2 * self._stretch, MAX_FULL_STEPS)
        else:
            self._stretch = FULL_STEPS
        self._probe_steps = self._probe_work = 0

    # -- accounting for held steps ------------------------------------------------------------

    def _account(self, thetas: np.ndarray, steps: np.ndarray) -> None:
        """Every held step in order: the units' paths, their pairs, and anchors.

        The paths are taken ``_span`` steps ahead: after a unit is anchored afresh they
        are taken again from there, so while units are anchored every few steps (fast
        early training) a look as far ahead would cost the square of the steps held."""
        start = 0
        while start < len(steps):
            rows = thetas[start : start + self._span]
            path, v_path = self._paths(self._last if start == 0 else thetas[start - 1], rows)
            share = path
            over = (share >= REANCHOR_SHARE) | (v_path >= REANCHOR_SHARE)
            moved = ((rows[:, self._watch] != self._watch_values).any(axis=1)
                     if len(self._watch) else None)
            stop_at = over.any(axis=1) if moved is None else over.any(axis=1) | moved
            stop = int(stop_at.argmax()) if stop_at.any() else len(rows)
            # Most of a scale in one step, or a watched number moved: no bound there
            # (with C > 1 outputs the outgoing vector's scale too: v̂ turns like ŵ).
            broken = stop < len(rows) and bool(
                (moved is not None and moved[stop]) or share[stop].max() >= BROKEN_SHARE
                or (self._vector and v_path[stop].max() >= BROKEN_SHARE))
            # An outgoing weight that may have changed sign: its unit's pairs computed.
            signs = (np.flatnonzero(v_path[stop] >= BROKEN_SHARE) if stop < len(rows)
                     and not broken else np.zeros(0, dtype=np.intp))
            last = stop - 1 if broken or stop == len(rows) else stop
            turned = self._turned + self._turns(share[: last + 1], v_path[: last + 1])
            through = stop if len(signs) else last + 1
            evaluated = self._pairs_through(turned[:through], rows[:through], steps[start:])
            if evaluated is None and len(signs) and self._signs_at(
                    rows[stop], int(steps[start + stop]), signs, turned[stop]):
                evaluated = stop
            if evaluated is not None:  # everything was anchored afresh there
                start += evaluated + 1
                continue
            if stop == len(rows):
                self._path, self._v_path = path[-1], v_path[-1]
                self._span = min(2 * self._span, MAX_BATCH)
                start += stop
                continue
            self._span = max(MIN_WINDOW, 2 * (stop + 1))
            if broken:
                self._evaluate(rows[stop], int(steps[start + stop]))
            else:
                self._reanchor_units(rows[stop], path[stop], v_path[stop], turned[stop])
            start += stop + 1

    def _turns(self, share: np.ndarray, v_share: np.ndarray) -> np.ndarray:
        """How far each unit can have turned since its anchor after paths ``share`` of
        ‖w_i‖ and ``v_share`` of ‖v̄_i‖: ŵ for one output; with C > 1 its canonical row,
        which turns at most ``_turn_factor`` times the turns of ŵ and v̂ (module doc)."""
        turn = _turn(share * self._w_over_p)
        if self._vector:
            turn += _turn(v_share)
            turn *= self._turn_factor
        return turn

    def _paths(self, before: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's path after each of ``rows`` (m, H): of p = [w, b] relative to
        ‖w_i‖ and of v relative to |v_i| (with C > 1: of v̄ relative to ‖v̄_i‖)."""
        m, H = len(rows), self.layout.hidden
        moved = np.empty_like(rows)
        np.subtract(rows[0], before, out=moved[0])
        np.subtract(rows[1:], rows[:-1], out=moved[1:])
        np.abs(moved, out=moved)
        block = moved[:, : self._n_block].reshape(m, H, -1)
        path = np.sqrt(np.einsum("tij,tij->ti", block, block))
        path *= self._w_scale
        np.cumsum(path, axis=0, out=path)
        path += self._path
        if self._vector:
            v_path = self._v_moves(before, rows)
        else:
            v_path = moved[:, self._n_block : self._n_block + H]
        v_path *= self._v_scale
        np.cumsum(v_path, axis=0, out=v_path)
        v_path += self._v_path
        return path, v_path

    def _v_moves(self, before: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """‖Δv̄‖ of each unit at each of ``rows`` (m, H): the centred outgoing vectors
        the similarities read, gathered and centred as they are there (the same bits)."""
        at = self._unit_at[:, self.layout.inputs + 1 :]
        v_bar = self._shape.outgoing_vectors(np.concatenate([before[at][None], rows[:, at]]))
        moved = v_bar[1:] - v_bar[:-1]
        return np.sqrt(np.einsum("thc,thc->th", moved, moved))

    def _pairs_through(self, turned: np.ndarray, rows: np.ndarray, steps: np.ndarray
                       ) -> int | None:
        """The pairs over ``rows`` (``turned``: G after each, (m, H)); returns the row
        of a full evaluation, after which the caller starts afresh, or None.

        A window at a time: a pair in doubt is computed from its first step in doubt to
        the window's end, where it gets its room afresh."""
        first, second = self._first, self._second
        if not len(turned):
            return None
        doubt = np.count_nonzero(turned[-1, first] + turned[-1, second] >= self._limit)
        if not doubt:
            return None
        window = int(np.clip(WINDOW_PAIRS // doubt, MIN_WINDOW, MAX_WINDOW))
        i = 0
        while i < len(turned):
            last = min(i + window, len(turned)) - 1
            end = turned[last]
            doubt = np.flatnonzero(end[first] + end[second] >= self._limit)
            if not len(doubt):
                i = last + 1
                continue
            a, b = first[doubt], second[doubt]
            reached = (turned[i : last + 1, a] + turned[i : last + 1, b]
                       >= self._limit[doubt]).any(axis=1)
            start = i + int(reached.argmax())
            S = self._similarities(rows[start : last + 1], a, b)
            out = (self._lower[doubt] > S) | (self._upper[doubt] <= S)
            left = out.any(axis=1)
            k = int(left.argmax()) if left.any() else len(S) - 1
            self.pair_checks += k + 1
            self.pair_steps += (k + 1) * len(doubt)
            j = start + k
            self._anchor(doubt, S[k], turned[j])
            if left.any() and self._recount(rows[j], int(steps[j]), doubt[out[k]], turned[j]):
                return j
            i = j + 1
        return None

    def _signs_at(self, theta: np.ndarray, step: int, units: np.ndarray,
                  turned: np.ndarray) -> bool:
        """The step ``theta`` after which the outgoing weights of ``units`` may have
        changed sign: their pairs computed, with the pairs in doubt there; True if that
        took a full evaluation (an outgoing weight at zero is watched by one)."""
        v = theta[self._unit_at[units, -1]]
        if (np.abs(v) < _TINY).any():
            self._evaluate(theta, step)
            return True
        touched = np.zeros(self.layout.hidden, dtype=bool)
        touched[units] = True
        theirs = touched[self._first] | touched[self._second]
        self._shape_pairs(np.sign(theta[self._unit_at[:, -1]]), np.flatnonzero(theirs))
        end = turned[self._first] + turned[self._second]
        pairs = np.flatnonzero((theirs | (end >= self._limit)) & self._live_pair)
        if not len(pairs):
            return False
        S = self._similarities(theta[None], self._first[pairs], self._second[pairs])[0]
        out = (self._lower[pairs] > S) | (self._upper[pairs] <= S)
        self.pair_checks += 1
        self.pair_steps += len(pairs)
        self._anchor(pairs, S, turned)
        return bool(out.any()) and self._recount(theta, step, pairs[out], turned)

    def _similarities(self, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """S of the pairs (a, b) after each of ``rows`` (m, pairs), from their units only."""
        needed = np.zeros(self.layout.hidden, dtype=bool)
        needed[a] = needed[b] = True
        where = np.cumsum(needed) - 1
        units = np.flatnonzero(needed)
        directions = unit_directions(rows[:, self._unit_at[units]], self.activation,
                                     self._shape)
        return pair_cosines(directions, where[a], where[b], self.activation)

    def _reanchor_units(self, theta: np.ndarray, path: np.ndarray, v_path: np.ndarray,
                        turned: np.ndarray) -> None:
        """Fresh scales for the units whose paths reached REANCHOR_SHARE; G goes on."""
        units = theta[self._unit_at]
        self._path, self._v_path = path.copy(), v_path.copy()
        w_over = path >= REANCHOR_SHARE
        v_over = v_path >= REANCHOR_SHARE
        if self._vector:
            # One turn for both parts (_turns): the whole unit is anchored afresh, and
            # a part watched instead (scale 0) stays watched.
            w_over = v_over = w_over | v_over
        if w_over.any():
            self._turned[w_over] = turned[w_over]
            self._path[w_over] = 0.0
            w_norm, p_norm = self._norms(units[w_over])
            kept = self._w_scale[w_over] > 0.0
            self._w_scale[w_over] = np.where(kept, 1.0 / np.where(kept, w_norm, 1.0), 0.0)
            self._w_over_p[w_over] = np.where(kept, w_norm / np.where(kept, p_norm, 1.0), 0.0)
        if v_over.any():
            self._v_path[v_over] = 0.0
            kept = self._v_scale[v_over] > 0.0
            v_norm = self._v_norms(units[v_over])
            self._v_scale[v_over] = np.where(kept, 1.0 / np.where(kept, v_norm, 1.0), 0.0)
        if self._turned.max() > _REBASE_TURN:
            # Count the turns from zero again: the limits move with them.
            self._limit -= self._turned[self._first] + self._turned[self._second]
            self._turned[:] = 0.0

    # -- counting -----------------------------------------------------------------------------

    def _recount(self, theta: np.ndarray, step: int, left: np.ndarray,
                 turned: np.ndarray) -> bool:
        """The parts of the pairs that ``left`` their intervals at ``step``, counted
        afresh from every pair among their units; True if that took a full evaluation."""
        self.recounts += 1
        labels = set(self._label[self._first[left]].tolist())
        labels.update(self._label[self._second[left]].tolist())
        old = [self._parts.pop(label) for label in sorted(labels)]
        self._probe_work += sum(len(part.units) for part in old) ** 2
        if any(part.count is None for part in old):
            self._evaluate(theta, step)
            return True
        among = np.zeros(self.layout.hidden, dtype=bool)
        for part in old:
            among[part.units] = True
        units = np.flatnonzero(among)
        pairs = np.flatnonzero(among[self._first] & among[self._second])
        local = np.cumsum(among) - 1
        i, j = local[self._first[pairs]], local[self._second[pairs]]
        directions = unit_directions(theta[self._unit_at[units]], self.activation,
                                     self._shape)
        before = self._alike[pairs].copy()
        self._known[pairs] = pair_cosines(directions, i, j, self.activation)
        self._alike[pairs] = self._known[pairs] >= self.threshold
        flipped = pairs[before != self._alike[pairs]]
        new = self._carry(old, flipped)
        if new is None:
            new = self._form_parts(units)
        if any(part.count is None for part in new):
            self._evaluate(theta, step)
            return True
        count = self._distinct - sum(p.count for p in old) + sum(p.count for p in new)
        if count != self._distinct:
            self._record(step, self._distinct, count)
            self._distinct = count
        self._register(new)
        self._bound(pairs, new, turned)
        return False

    def _carry(self, old: list[_Part], flipped: np.ndarray) -> list[_Part] | None:
        """The parts as they were, if their merges provably are, or None.

        With the same alike pairs, a certificate still holds if its levels do.  A pair
        that stops being alike and is no leaf leaves every merge open: fewer rivals.
        One that becomes alike, less alike than every leaf and between final clusters
        not all alike, joins its parts as a top pair: it can only ever lose."""
        if len(flipped) > 1 or any(part.count is None for part in old):
            return None
        if len(flipped) and self._alike[flipped[0]]:
            edge = int(flipped[0])
            i, j = int(self._first[edge]), int(self._second[edge])
            ends = [self._parts_of(old, i), self._parts_of(old, j)]
            if len(old) != len({id(part) for part in ends}):
                return None  # other parts left their intervals too
            if self._alike[self._pair_at[np.ix_(ends[0].final(i), ends[1].final(j))]].all():
                return None  # they merge: the count changes
            certificate = MergeCertificate.joined([p.leaves(self._pair_at) for p in old], edge)
            units = np.concatenate([p.units for p in old])
            order = np.argsort(units)
            cluster = np.concatenate([p.cluster for p in old])[order]
            old = [_Part(units[order], sum(p.count for p in old), cluster, certificate)]
        for part in old:
            if part.certificate is None or (
                    len(flipped) and (part.certificate.inside == flipped[0]).any()):
                return None
            part.levels = part.certificate.levels(self._known, self._kappa)
            if part.levels is None:
                return None
        return old

    @staticmethod
    def _parts_of(parts: list[_Part], unit: int) -> _Part:
        return next(part for part in parts if unit in part.units)

    def _form_parts(self, units: np.ndarray) -> list[_Part]:
        """The parts of the alike graph among ``units`` (no alike pair leaves them),
        each counted: a clique is one group, any other part as its certificate says."""
        if not len(self._first):  # one hidden unit: no pairs, a part of its own
            return [_Part(units[k : k + 1], 1, units[k : k + 1]) for k in range(len(units))]
        ids = self._pair_at[np.ix_(units, units)]
        alike = self._alike[ids]
        np.fill_diagonal(alike, True)
        parts = []
        labels = _components(alike)
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            if alike[np.ix_(members, members)].all():
                parts.append(_Part(units[members], 1, np.full(len(members), units[members[0]])))
                continue
            sub = ids[np.ix_(members, members)]
            S = self._known[sub]
            np.fill_diagonal(S, 1.0)
            certificate = MergeCertificate(S, sub, self.threshold)
            levels = None if certificate.tied else certificate.levels(self._known, self._kappa)
            count = None if levels is None else len(members) - certificate.merges
            parts.append(_Part(units[members], count, units[members][certificate.cluster],
                               certificate, levels))
        return parts

    def _register(self, parts: list[_Part]) -> None:
        for part in parts:
            self._label[part.units] = self._next_label
            self._parts[self._next_label] = part
            self._next_label += 1

    def _bound(self, pairs: np.ndarray, parts: list[_Part], turned: np.ndarray) -> None:
        """Intervals and limits for ``pairs``, all the pairs among the units of
        ``parts`` (and of no other part), whose similarities are known now."""
        alike = self._alike[pairs]
        self._lower[pairs] = np.where(alike, self.threshold, -math.inf)
        self._upper[pairs] = np.where(alike, math.inf, self.threshold)
        tied = []
        for part in parts:
            if part.levels is not None:
                part.certificate.bound(part.levels, self._lower, self._upper)
            elif part.count is None:
                tied.append(part.units)
        self._anchor(pairs, self._known[pairs], turned)
        if tied:
            # Only scipy's linkage over every unit tells these merges apart: every step.
            units = np.concatenate(tied)
            inside = np.isin(self._first[pairs], units) & np.isin(self._second[pairs], units)
            self._limit[pairs[inside]] = -math.inf
            self._lower[pairs[inside]] = math.inf

    def _anchor(self, pairs: np.ndarray, S: np.ndarray, turned: np.ndarray) -> None:
        """``pairs`` have similarities ``S`` now, when the units have turned ``turned``:
        each is in doubt once G_i + G_j has grown by its room."""
        self._known[pairs] = S
        room = self._room(pairs)
        limit = room + turned[self._first[pairs]] + turned[self._second[pairs]]
        self._limit[pairs] = np.where(self._live_pair[pairs], limit, math.inf)

    def _room(self, pairs: np.ndarray) -> np.ndarray:
        """The angle θ_ij may move before S_ij can leave its interval (negative: none)."""
        S, eps = self._known[pairs], _ROUNDING_SLACK
        # Where S falls to its lower end, where it is now (either way), where it rises
        # to its upper end.
        ends = np.empty((4, len(pairs)))
        np.add(self._lower[pairs], eps, out=ends[0])
        np.subtract(S, eps, out=ends[1])
        np.add(S, eps, out=ends[2])
        np.subtract(self._upper[pairs], eps, out=ends[3])
        with np.errstate(invalid="ignore"):
            # |ΔS| ≤ |Δcos θ|/N ≤ |Δθ|/N in every case ...
            room = np.minimum(ends[1] - ends[0], ends[3] - ends[2])
            room *= self._norm[pairs]
            # ... and S = 1 − sin²(θ/2)/κ exactly where the signs allow: θ falls as S
            # rises (an end at ±∞ clips to θ = π or 0, which θ never passes; NaN where
            # there is no κ).
            angle = chord_angle(ends, self._chord[pairs])
            room = np.fmax(room, np.minimum(angle[0] - angle[1], angle[2] - angle[3]))
        # Rounding in the angles themselves.
        room *= 1.0 - 1e-9
        room -= 1e-12
        return room

    def _norms(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """‖w‖ and ‖[w, b]‖ of unit rows."""
        p = units[:, : self.layout.inputs + 1]
        squares = p * p
        w_squares = squares[:, :-1].sum(axis=1)
        return np.sqrt(w_squares), np.sqrt(w_squares + squares[:, -1])

    def _record(self, step: int, before: int, after: int) -> None:
        self._events.append((step, before, after))
        if self._lasting is not None:
            self._lasting.add(step, before, after)

    # -- full evaluation ----------------------------------------------------------------------

    def _evaluate(self, theta: np.ndarray, step: int) -> None:
        """Everything at ``step`` from every pair: the count (scipy's linkage over the
        live units, as metrics.distinct_units has it; an event if it changed), the
        parts, every unit's anchor and every pair's interval and room."""
        self.evaluations += 1
        S, live, count = self._full_count(theta)
        self._probe_work += self.layout.hidden ** 2
        units = theta[self._unit_at]
        idx = np.flatnonzero(live)
        if self._lasting is not None and count != self._distinct:
            self._record(step, self._distinct, count)
        self._distinct = count
        self._known[:] = S[self._first, self._second]
        self._live_pair = live[self._first] & live[self._second]
        self._alike = (self._known >= self.threshold) & self._live_pair
        self._set_scales(theta, units, live)
        self._label[:] = -1
        self._parts.clear()
        parts = self._form_parts(idx)
        self._register(parts)
        every = np.arange(len(self._first))
        self._bound(every, parts, self._turned)

    def _full_count(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Every similarity, the live units and the count at ``theta``: scipy's
        linkage over the live units, as metrics.distinct_units has it."""
        units = theta[self._unit_at]
        S = similarity_matrix(units, self.activation, self._shape)
        live = units[:, : self.layout.inputs].any(axis=1)
        if live.all():  # no copy of S to make (a fifth of a full count at H = 256)
            return S, live, count_groups(S, self.threshold)
        idx = np.flatnonzero(live)
        return S, live, count_groups(S[np.ix_(idx, idx)], self.threshold)

    def _set_scales(self, theta: np.ndarray, units: np.ndarray, live: np.ndarray) -> None:
        """Every unit anchored afresh: the scales ‖w_i‖ and |v_i| (module doc), the
        numbers to watch instead, and each pair's N_ij and angle function."""
        D = self.layout.inputs
        norm, p_norm = self._norms(units)
        v = self._v_norms(units)
        # Dead units (their incoming weights), live ones too small to scale (their
        # [w, b]), and outgoing weights that are zero (an undefined sign or direction)
        # or too small.
        tiny = live & (norm < _TINY)
        tiny_v = live & (v < _TINY)
        self._watch = np.concatenate([self._unit_at[~live, :D].ravel(),
                                      self._unit_at[tiny, : D + 1].ravel(),
                                      self._unit_at[tiny_v, D + 1 :].ravel()])
        self._watch_values = theta[self._watch]
        with np.errstate(divide="ignore", invalid="ignore"):
            self._w_scale = np.where(live & ~tiny, 1.0 / norm, 0.0)
            self._w_over_p = np.where(live & ~tiny, norm / p_norm, 0.0)
            self._v_scale = np.where(live & ~tiny_v, 1.0 / v, 0.0)
        self._path = np.zeros_like(norm)
        self._v_path = np.zeros_like(norm)
        self._turned = np.zeros_like(norm)
        if self._vector and self._balanced:
            # The row [ŵ, v̂]/√2, or [ŵ, 0] with no outgoing direction: ŵ alone.
            self._turn_factor = np.where(v > 0.0, math.sqrt(0.5), 1.0)
        self._shape_pairs(np.sign(units[:, -1]), np.arange(len(self._first)))

    def _v_norms(self, units: np.ndarray) -> np.ndarray:
        """|v| of unit rows; with C > 1 outputs ‖v̄‖, the outgoing vector as the
        similarities read it."""
        if not self._vector:
            return np.abs(units[:, -1])
        v_bar = self._shape.outgoing_vectors(units)
        return np.sqrt(np.einsum("hc,hc->h", v_bar, v_bar))

    def _shape_pairs(self, sign: np.ndarray, pairs: np.ndarray) -> None:
        """Each of ``pairs``' N_ij and angle function, from the signs of the outgoing
        weights (``sign``, per unit; with C > 1 outputs S = cos Θ of the canonical rows
        whatever the signs)."""
        if self._vector:
            self._norm[pairs] = 1.0
            self._chord[pairs] = 0.5
        elif self._balanced:
            squares = 1.0 + sign * sign
            first, second = self._first[pairs], self._second[pairs]
            self._norm[pairs] = norm = np.sqrt(squares[first] * squares[second])
            # (1 + cos θ)/2 with both signs set and alike possible (for relu: equal).
            same = sign[first] * sign[second] > 0
            self._chord[pairs] = np.where((norm == 2.0) & (same | self._flip), 1.0, 0.0)
        else:
            self._chord[pairs] = 0.5  # cos θ


def _turn(share: np.ndarray) -> np.ndarray:
    """The largest turn −ln(1 − ρ) of a direction after a path ρ‖w_i‖ (module doc)."""
    return -np.log1p(-share)


def _components(alike: np.ndarray) -> np.ndarray:
    """A label per unit of the reflexive graph ``alike`` (n, n): the least unit of its
    connected part."""
    n = len(alike)
    label = np.arange(n)
    while n:
        lowest = np.where(alike, label[None, :], n).min(axis=1)
        lowest = lowest[lowest]  # and the least of that unit's part so far
        if np.array_equal(lowest, label):
            return label
        label = lowest
    return label
