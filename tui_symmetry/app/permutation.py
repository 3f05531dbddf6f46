"""``p``: relabel the hidden units at random, and show that nothing the network computes moved.

A small state machine beside the :class:`~tui_symmetry.app.controller.RunController`:
idle; waiting for the pause to take effect (a training process answers a few ms
later); sent (the snapshot before and the permutation), until the permuted snapshot
arrives and the notice puts loss and output before and after side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_symmetry.app.controller import Notice
from tui_symmetry.app.numbers import format_significant, unit_name
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.runner.protocol import Runner


def permutation_notice(before: Snapshot, after: Snapshot, perm: np.ndarray) -> str:
    """One line putting the loss and output before and after a permutation side by side.

    Exactly equal is said as "unchanged"; otherwise the difference is printed: the
    output sums over the units, and in a new order the last bit can round differently.
    """
    mapping = ", ".join(f"{unit_name(j, short=True)}←{unit_name(int(i), short=True)}"
                        for j, i in enumerate(perm[:4]))
    if len(perm) > 4:
        mapping += ", …"
    change = abs(after.loss - before.loss)
    same = "unchanged" if change == 0 else f"differs by {format_significant(change, 2)} (rounding)"
    text = (f"permuted units: loss {format_significant(before.loss, 6)} → "
            f"{format_significant(after.loss, 6)} {same}")
    if before.unit_maps is not None and after.unit_maps is not None:
        drift = float(np.max(np.abs(after.unit_maps.output - before.unit_maps.output)))
        moved = f"moves ≤ {format_significant(drift, 2)}"
        text += " · output map " + ("unchanged" if drift == 0 else moved)
    if after.step != before.step:
        text += f" (steps {before.step:,} → {after.step:,})"
    return f"{text} · {mapping}"


@dataclass(frozen=True)
class PermutationStep:
    """What one turn of ``p`` came to: a line to say, and whether to poll again now."""

    notice: Notice | None
    poll_again: bool


class Permutation:
    """Idle, waiting for the pause, or sent: the steps of ``p`` that wait on the runner."""

    def __init__(self) -> None:
        self._count = 0  # seeds the next permutation: reproducible per run
        self._waiting = False
        self._sent: tuple[Snapshot, np.ndarray] | None = None

    @property
    def active(self) -> bool:
        """True from a request until its notice (or its failure) is out."""
        return self._waiting or self._sent is not None

    def request(self) -> None:
        """Permute once the runner has nothing pending (the pause has taken effect)."""
        self._waiting = True

    def advance(self, runner: Runner) -> PermutationStep | None:
        """Take the next step if the runner is ready for it; None: nothing happened."""
        if not self.active or runner.pending:
            return None
        if self._waiting:
            return self._send(runner)
        assert self._sent is not None
        before, perm = self._sent
        after = runner.latest()
        if after.version == before.version:
            return None
        self._sent = None
        return PermutationStep(Notice(permutation_notice(before, after, perm)), False)

    def _send(self, runner: Runner) -> PermutationStep:
        before = runner.latest()
        hidden = int(before.params.b1.shape[0])
        rng = np.random.default_rng([before.config.seed, self._count])
        self._count += 1
        perm = rng.permutation(hidden)
        if hidden > 1:
            while np.array_equal(perm, np.arange(hidden)):
                perm = rng.permutation(hidden)
        self._waiting = False
        self._sent = (before, perm)
        try:
            runner.permute(perm)
        except Exception as error:  # report, never crash: the run goes on
            self._sent = None
            return PermutationStep(Notice(f"permute failed: {error}", "error"), False)
        return PermutationStep(None, True)
