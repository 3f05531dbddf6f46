"""Width and the teacher (Simsek et al. 2021): students of width r, r + 1 and r + 4 learn
the outputs of a random teacher with r units; how many reach zero loss?  An experiment
of experiments/registry.py.

Each student trains the job's steps with the run's settings from its own start (compare's
seeds), then L-BFGS (core/polish.py) takes it as low as it goes: a student *reaches
zero* when its training loss ends below :data:`ZERO_LOSS` (the targets are standardized:
variance 1).  The data are the ``teacher`` dataset's: the settings' own when they are on
it, otherwise the teacher's exact outputs (dataset teacher, noise 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.data import TEACHER
from tui_symmetry.core.polish import Polished, polish
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.baseline import run_seeds
from tui_symmetry.experiments.registry import ExperimentJob

ZERO_LOSS = 1e-6
"""A student reached zero when its loss (MSE on targets of variance 1) ends below this."""
EXTRA_UNITS = (0, 1, 4)
"""The students' widths: the teacher's r, r + 1 and r + 4."""
POLISH_ITERATIONS = 4_000


def teacher_config(config: Config) -> Config:
    """The settings the students learn with: ``config`` on the teacher's data."""
    return config if config.dataset == TEACHER else config.replace(dataset=TEACHER, noise=0.0)


def widths(config: Config) -> tuple[int, ...]:
    """r, r + 1, r + 4 for a teacher of r units."""
    r = teacher_config(config).teacher_units
    return tuple(r + extra for extra in EXTRA_UNITS)


class Student(Trainer):
    """One student; ``polished`` is its L-BFGS end, found once its steps are done."""

    polished: Polished | None = None


def start(job: ExperimentJob) -> list[Trainer]:
    """``students`` students of each width, each from its own start on the same data."""
    config = teacher_config(job.config)
    seeds = run_seeds(config, job.option("students"))
    return [Student(config.replace(hidden=H), start_seed=seed)
            for H in widths(config) for seed in seeds]


@dataclass(frozen=True, eq=False)
class TeacherResult:
    """Every student's loss, by width; polished once the steps are done."""

    step: int
    teacher_units: int
    noise: float
    widths: tuple[int, ...]
    losses: np.ndarray  # (widths, students)
    polished: bool

    @property
    def threshold(self) -> float:
        """The loss below which a student reached zero (:data:`ZERO_LOSS`)."""
        return ZERO_LOSS

    @property
    def reached(self) -> list[int]:
        """Students of each width whose loss is below ZERO_LOSS."""
        return [int(np.count_nonzero(row < ZERO_LOSS)) for row in self.losses]

    @property
    def verdict(self) -> str:
        """One line: how many of each width reached zero loss."""
        students = self.losses.shape[1]
        counts = ", ".join(f"{k}/{students} with {H}" for k, H in
                           zip(self.reached, self.widths, strict=True))
        how = "after L-BFGS" if self.polished else "before L-BFGS (it runs at the end)"
        note = (f"; the targets carry noise {self.noise:g}: zero loss is out of reach"
                if self.noise > 0 else "")
        return (f"teacher of {self.teacher_units} units: students reaching loss < "
                f"{ZERO_LOSS:g} {how}: {counts}{note}")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines: each width's count and its losses."""
        students = self.losses.shape[1]
        rows = [("teacher", f"{self.teacher_units} tanh units, noise {self.noise:g}"),
                ("step", f"{self.step:,}" + (", then L-BFGS" if self.polished else ""))]
        for H, count, row in zip(self.widths, self.reached, self.losses, strict=True):
            rows.append((f"{H} units", f"{count}/{students} reach < {ZERO_LOSS:g} · losses "
                         + " ".join(f"{x:.1e}" for x in row)))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``experiment teacher --json`` (docs/contracts.md, "Experiments")."""
        return {"experiment": "teacher", "step": self.step,
                "teacher_units": self.teacher_units, "noise": self.noise,
                "threshold": ZERO_LOSS, "polished": self.polished,
                "widths": list(self.widths),
                "losses": [[float(x) if np.isfinite(x) else None for x in row]
                           for row in self.losses],
                "reached": self.reached, "verdict": self.verdict}


def _final_loss(student: Student) -> float:
    """The student's loss after L-BFGS (found the first time it is asked for)."""
    if student.polished is None:
        data, config = student.data, student.config
        student.polished = polish(student.params.copy(), data.X_train, data.y_train,
                                  config.activation, config.loss, POLISH_ITERATIONS)
    return student.polished.loss


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> TeacherResult:
    """Every student's loss now; polished once they have all trained the job's steps."""
    config = teacher_config(job.config)
    step = trainers[0].step_count
    done = step >= job.steps
    losses = [_final_loss(t) if done else t.train_loss()  # type: ignore[arg-type]
              for t in trainers]
    table = np.array(losses).reshape(len(EXTRA_UNITS), -1)
    return TeacherResult(step, config.teacher_units, config.noise, widths(config), table,
                         done)
