"""What the app's process and the training process say to each other over the pipe.

Every message is a small frozen dataclass, so both ends read a message by its fields
(``match Step(n=n)``), a misspelt command is a NameError at import time instead of a
string nobody handles, and a message cannot be changed after it was sent.

Commands (parent → child) carry ``seq``, the parent's running count of commands.  Replies
(child → parent) carry the ``seq`` of the last command the child had handled when it
made them, so the parent knows which commands have taken effect (``Runner.pending``) and
which snapshots show the network from before a reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.experiments.lockstep import PairConfig, PairSnapshot

# -- commands: parent → child ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Play:
    """Train on your own (at the speed cap) until Pause or divergence.

    ``until``: a step to hold at (a scene's point): no step past it is trained on one's
    own, however fast, until a Play without it.  Step still runs past it.
    """

    seq: int
    until: int | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop training on your own; Step still works."""

    seq: int


@dataclass(frozen=True, slots=True)
class Step:
    """Run exactly ``n`` more steps now, whatever the play state and speed cap."""

    seq: int
    n: int


@dataclass(frozen=True, slots=True)
class SetSpeed:
    """Cap the training rate while playing; ``steps_per_s`` None is full speed."""

    seq: int
    steps_per_s: float | None


@dataclass(frozen=True, slots=True)
class Reset:
    """Throw the network away and start ``config`` from step 0 (play state kept)."""

    seq: int
    config: Config | PairConfig


@dataclass(frozen=True, slots=True)
class ApplyLive:
    """Change live settings mid-run (already checked by Config.replace_live in the parent)."""

    seq: int
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Permute:
    """Relabel the hidden units: new unit j is old unit ``perm[j]`` (Trainer.permute_units)."""

    seq: int
    perm: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SelectImage:
    """Picture the filters' feature maps on training image ``index`` (Trainer.select_image);
    it holds across resets."""

    seq: int
    index: int


@dataclass(frozen=True, slots=True)
class Export:
    """Send the run as the export document (docs/contracts.md, "Export")."""

    seq: int


@dataclass(frozen=True, slots=True)
class Close:
    """Stop for good.  Not counted: nothing waits for an answer to it."""


Command = (Play | Pause | Step | SetSpeed | Reset | ApplyLive | Permute | SelectImage | Export
           | Close)
"""Anything the parent sends."""


# -- replies: child → parent ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotReply:
    """The newest picture of the run (``snapshot.version`` counts across resets), or of
    the pair of runs it trains (compare)."""

    seq: int
    snapshot: Snapshot | PairSnapshot


@dataclass(frozen=True, slots=True)
class ExportReply:
    """The answer to the Export command numbered ``seq``."""

    seq: int
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommandError:
    """The command numbered ``seq`` failed; the run goes on unchanged."""

    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class Fatal:
    """The training process is about to die of ``text`` (its stderr goes nowhere)."""

    seq: int
    text: str


Reply = SnapshotReply | ExportReply | CommandError | Fatal
"""Anything the child sends."""


def describe(exc: BaseException) -> str:
    """One line naming an exception, as replies carry it: ``ValueError: bad n``."""
    return f"{type(exc).__name__}: {exc}"
