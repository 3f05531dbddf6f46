"""Every experiment once: its name, its one line of help, the module that runs it and
its options (docs/contracts.md, "Experiments").

An experiment trains a few runs of the run's settings side by side (in lockstep, like
compare) and measures something no single run shows: which units recur over many seeds,
the loss barrier between two runs before and after their units are matched, ...  Both
front ends ask for it through this table: ``tui-symmetry experiment NAME`` (cli/experiment.py)
and the app's experiment screen (app/experiment_screen.py), whose runner trains an
:class:`ExperimentRun`.

An experiment is a module and a row.  The module (``experiments/<name>.py``) has

* ``start(job) -> list[Trainer]``: the runs to train, all ``job.steps`` long;
* ``measure(job, trainers) -> Result``: what they show at the step they are at (at any
  step, so the app shows it while they train), a frozen object with ``rows()`` (label,
  value) pairs, ``verdict`` (one line) and ``to_dict()`` (the ``--json`` document).

This module imports only the core's config (no scipy): the runner and the app's palette
read the table before the first frame; an experiment's module is imported when it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from tui_symmetry.core.config import FIELD_BY_NAME, Config, ConfigError, FieldSpec
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.headless import ChunkCallback, run_lockstep


@dataclass(frozen=True)
class Option:
    """One option of an experiment: its field (range, help) and its default."""

    spec: FieldSpec
    default: Any
    parse: Callable[[Any], Any] | None = None
    """Turns the checked value into what the experiment reads (a list of widths from
    ``"4,8,16"``), raising ConfigError with one line; None: the value as checked."""

    def value(self, given: Any) -> Any:
        """``given`` checked (and parsed): ConfigError naming the option otherwise."""
        checked = self.spec.coerce(given)
        return checked if self.parse is None else self.parse(checked)


@dataclass(frozen=True)
class Experiment:
    """One experiment: its words, its module and its options."""

    title: str
    """Short name in the app ("many seeds"): the palette says "Experiment: many seeds"."""
    help: str
    """One line: what it shows (the command's help, the picker's second column)."""
    module: str
    """Imported only when it runs: ``start(job)`` and ``measure(job, trainers)``."""
    steps: int
    """Steps of each run when neither --steps nor a scene says otherwise."""
    options: tuple[Option, ...] = ()


def _int_option(name: str, help_text: str, default: int, low: int, high: int) -> Option:
    return Option(FieldSpec(name, int, help_text, "experiment", low=low, high=high), default)


def _widths(text: str) -> tuple[int, ...]:
    """``"4,8,16"`` → (4, 8, 16), each a valid number of hidden units; "" → () (the
    run's own)."""
    words = [word.strip() for word in text.split(",")] if text.strip() else []
    hidden = FIELD_BY_NAME["hidden"]
    widths = []
    for index, word in enumerate(words, start=1):
        try:
            widths.append(hidden.coerce(word))
        except ConfigError as exc:
            raise ConfigError(f"widths: value {index} of {len(words)}: {exc}") from None
    return tuple(widths)


MAX_RUNS = 16
"""Most runs of the many-seeds experiment (K): K(K − 1)/2 matchings per picture."""

EXPERIMENTS: dict[str, Experiment] = {
    "seeds": Experiment(
        "many seeds",
        "K runs from different seeds on the same data: which units recur in most runs, "
        "against trained pairs and untrained starts",
        "tui_symmetry.experiments.seeds", 3000,
        (_int_option("runs", "runs from different seeds (K)", 8, 2, MAX_RUNS),
         Option(FieldSpec("space", str, "where units are matched: what they compute "
                          "(function) or their weights", "experiment",
                          choices=("function", "weights")), "function"))),
    "barrier": Experiment(
        "the barrier",
        "two runs from different seeds: the loss along the straight line between them, "
        "before and after B's units are matched to A's",
        "tui_symmetry.experiments.barrier", 3000,
        (Option(FieldSpec("widths", str, "numbers of hidden units to repeat it at, e.g. "
                          "4,8,16,32 (default: the run's)", "experiment"), (), _widths),
         _int_option("pairs", "pairs of runs at each width (the heights' mean, min and "
                     "max)", 1, 1, 8))),
    "duplicate": Experiment(
        "duplicate a unit",
        "copy a unit of the trained network, sharing its outgoing weight λ : (1 − λ): "
        "the loss along λ, the curvature that splits the copies, and play from the copy",
        "tui_symmetry.experiments.duplicate", 2000,
        (_int_option("unit", "the unit to copy (from 1)", 1, 1, 256),
         _int_option("into", "the unit the copy replaces (0: a new unit, H + 1)", 0, 0, 256),
         Option(FieldSpec("lambda", float, "the share λ of the outgoing weight the unit "
                          "keeps (the copy: 1 − λ)", "experiment", low=-10, high=10), 0.5),
         _int_option("before", "steps the network trains before the copy", 2000, 0, 100_000),
         Option(FieldSpec("polish", str, "L-BFGS to a critical point before the copy",
                          "experiment", choices=("yes", "no")), "yes"))),
    "condense": Experiment(
        "condensation",
        "each unit's input-weight direction over time and how many distinct directions "
        "there are, against the bound 2p",
        "tui_symmetry.experiments.condense", 3000,
        (_int_option("every", "steps between two readings of the directions", 50, 1,
                     100_000),)),
    "teacher": Experiment(
        "teacher and width",
        "students of width r, r + 1 and r + 4 learn a random teacher of r units: how many "
        "reach zero loss",
        "tui_symmetry.experiments.teacher", 100,
        (_int_option("students", "students of each width, each from its own start", 8, 1,
                     32),)),
}
"""Every experiment, in the order the picker, the palette and the help list them."""


class UnknownExperiment(ValueError):
    """A name that is not in :data:`EXPERIMENTS`; its message lists the names."""


def get_experiment(name: str) -> Experiment:
    """The experiment ``name``; UnknownExperiment (one line, every name) otherwise."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperiment(f"no experiment {name!r}; use one of "
                                + ", ".join(EXPERIMENTS)) from None


@dataclass(frozen=True)
class ExperimentJob:
    """What to run: an experiment, the run's settings, the steps of each run and the
    experiment's options (every one of them, checked).  Picklable: a runner sends it to
    its training process."""

    name: str
    config: Config
    steps: int
    options: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def of(cls, name: str, config: Config, steps: int | None = None,
           **given: Any) -> ExperimentJob:
        """The job of ``name`` on ``config``: ``steps`` (None: the experiment's own) and
        its options, the given ones checked (ConfigError, one line) and the rest at
        their defaults."""
        experiment = get_experiment(name)
        if config.is_conv:  # every experiment reads an MLP's hidden units (W1, b1, W2)
            raise ConfigError(f"arch: experiment {name} runs on hidden units; use arch mlp, "
                              "not conv")
        known = {option.spec.name: option for option in experiment.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ConfigError(f"experiment {name} has no option {unknown[0]!r}")
        options = tuple((key, option.value(given[key]) if key in given
                         else option.default) for key, option in known.items())
        return cls(name, config, experiment.steps if steps is None else steps, options)

    @property
    def experiment(self) -> Experiment:
        return get_experiment(self.name)

    def option(self, name: str) -> Any:
        """The value of option ``name``."""
        return dict(self.options)[name]

    def replace(self, **changes: Any) -> ExperimentJob:
        """This job with ``config`` or ``steps`` changed."""
        values = {"name": self.name, "config": self.config, "steps": self.steps,
                  "options": self.options, **changes}
        return ExperimentJob(**values)


class Result(Protocol):
    """What an experiment's ``measure`` returns."""

    @property
    def verdict(self) -> str: ...

    def rows(self) -> list[tuple[str, str]]: ...

    def to_dict(self) -> dict[str, Any]: ...


def module_of(job: ExperimentJob) -> ModuleType:
    """The module that runs ``job``'s experiment (imported now)."""
    return importlib.import_module(job.experiment.module)


def run(job: ExperimentJob, on_chunk: ChunkCallback | None = None) -> Any:
    """The experiment headless: its runs trained ``job.steps`` in lockstep (the one
    headless loop), then measured."""
    module = module_of(job)
    trainers = module.start(job)
    run_lockstep(trainers, job.steps, on_chunk)
    return module.measure(job, trainers)


@dataclass(frozen=True)
class ExperimentSnapshot:
    """An experiment at one step, as a runner hands it to the app."""

    name: str
    step: int
    steps: int
    result: Any
    """``measure``'s result at ``step``."""
    version: int = 0
    steps_per_s: float = 0.0
    diverged: bool = False
    """Every run diverged: nothing is left to train."""

    @property
    def done(self) -> bool:
        """Every run has trained its steps."""
        return self.step >= self.steps

    @property
    def sides(self) -> tuple[()]:
        """The single runs it shows: none (no saddle reading is taken)."""
        return ()


class ExperimentRun:
    """An experiment's runs as one thing a runner trains (what ``Trainer`` offers a
    runner: ``step``, ``step_count``, ``changes``, ``diverged``, ``snapshot``).

    Every run is stepped by the same count, never past ``job.steps``; a snapshot
    measures them.  Its settings are the job's: nothing changes live.
    """

    def __init__(self, job: ExperimentJob) -> None:
        self.config = job
        self._module = module_of(job)
        self.trainers: Sequence[Trainer] = self._module.start(job)
        self.step_count = 0
        self.changes = 0
        self.one_unit_loss = ()
        """Not None: no one-unit optimum is looked for (the runner asks otherwise)."""

    @property
    def diverged(self) -> bool:
        return all(trainer.diverged for trainer in self.trainers)

    def step(self, n: int = 1) -> int:
        """Run ``n`` more steps of every run (fewer at the end); how many ran."""
        n = min(n, self.config.steps - self.step_count)
        if n <= 0:
            return 0
        for trainer in self.trainers:
            trainer.step(n)
        self.step_count += n
        self.changes += 1
        return n

    def learn_one_unit_loss(self) -> tuple[()]:
        """Nothing to learn (a runner's call, answered)."""
        return ()

    def apply_live(self, **changes: Any) -> None:
        raise ConfigError("an experiment's settings cannot change while it runs")

    def permute_units(self, perm: Any) -> None:
        raise ConfigError("an experiment's units cannot be permuted")

    def snapshot(self, version: int = 0, steps_per_s: float = 0.0,
                 max_reading_age: int | None = 0) -> ExperimentSnapshot:
        """The experiment measured now (``max_reading_age``: a runner's, unused)."""
        job = self.config
        return ExperimentSnapshot(job.name, self.step_count, job.steps,
                                  self._module.measure(job, self.trainers), version,
                                  steps_per_s, self.diverged)
