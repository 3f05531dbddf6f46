"""A sweep: a grid of runs over the settings, run in worker processes (or on a Dask
cluster), and the split-time law fitted to it.

The command line's words about a sweep (``--vary``, the table, the refusal of a large
grid) are cli's; this module holds what runs: the grid, its execution, the fit.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_symmetry.core.config import MAX_SEED, Config, ConfigError
from tui_symmetry.experiments import headless

# Steps of the trial run that times a large grid's estimate (a second at most at H = 8).
TRIAL_STEPS = 300
# Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT = 10


@dataclass(frozen=True)
class Vary:
    """One ``--vary NAME=V1,V2,...``: a setting and its values, validated."""

    name: str
    values: tuple[Any, ...]


@dataclass
class Run:
    """One point of the grid and, once it finished, its summary."""

    index: int
    varied: dict[str, Any]
    config: Config
    summary: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class SplitFit:
    """split step ≈ intercept + slope·log10(1/ε) over the runs of one group."""

    group: dict[str, Any]
    slope: float
    intercept: float
    r2: float | None
    points: tuple[tuple[float, int], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "steps_per_decade": self.slope,
            "intercept": self.intercept,
            "r2": self.r2,
            "points": [list(point) for point in self.points],
        }


class BadGridPoint(ValueError):
    """A point of the grid is not a valid config: says which point and why."""

    def __init__(self, varied: dict[str, Any], error: ConfigError) -> None:
        super().__init__(f"{describe(varied)}: {error}")
        self.varied = varied
        self.error = error


class SchedulerUnavailable(RuntimeError):
    """``--scheduler`` was given and no Dask cluster can be used there."""


def describe(varied: Mapping[str, Any]) -> str:
    """``hidden=4 init-scale=0.5``: a point of the grid as the command line writes it."""
    return " ".join(f"{name.replace('_', '-')}={value}" for name, value in varied.items())


def make_grid(base: Config, varies: Sequence[Vary]) -> list[Run]:
    """Every combination of the varied values on top of ``base``, first vary slowest;
    a combination that is no valid config raises BadGridPoint."""
    names = [vary.name for vary in varies]
    runs = []
    for index, values in enumerate(itertools.product(*(vary.values for vary in varies))):
        varied = dict(zip(names, values, strict=True))
        try:
            config = base.replace(**varied)
        except ConfigError as exc:
            raise BadGridPoint(varied, exc) from None
        runs.append(Run(index, varied, config))
    return runs


def trial_run(config: Config, steps: int) -> tuple[float, float]:
    """Time a short run of ``config`` here: (seconds a run costs besides its steps,
    seconds per step), for the estimate of a large grid.

    A first one-step run pays what only the first run in a process pays (loading
    scipy's optimizer, first calls), ~1 s that would make the estimate of a grid several
    times too long; the timed run then uses the next seed, so it computes its own
    data and one-unit loss as every run of the grid does.
    """
    run_summary(config.to_dict(), 1)
    trial_steps = min(steps, TRIAL_STEPS)
    timed = config.replace(seed=(config.seed + 1) % (MAX_SEED + 1))
    start = time.perf_counter()
    summary = run_summary(timed.to_dict(), trial_steps)
    seconds = time.perf_counter() - start
    per_step = 1.0 / summary["steps_per_s"] if summary["steps_per_s"] > 0 else 0.0
    return max(seconds - trial_steps * per_step, 0.0), per_step


# -- running ---------------------------------------------------------------------------


def run_summary(config_values: dict[str, Any], steps: int) -> dict[str, Any]:
    """One run, as ``train --json`` reports it (the worker: plain data in and out)."""
    return headless.train(Config.from_dict(config_values), steps).snapshot.summary()


class _WorkerPool(ProcessPoolExecutor):
    """Worker processes that stop their runs on Ctrl+C and start no new ones.

    Ctrl+C may reach this process alone, and calls already handed to the workers
    cannot be cancelled: :meth:`interrupt` sets a shared flag every later call checks
    and sends SIGINT, which a worker turns into KeyboardInterrupt only while running a
    run (an idle one ignores it: no traceback from a process waiting for work).
    """

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context(worker_start_method())
        self.stop = context.Event()
        super().__init__(max_workers=jobs, mp_context=context, initializer=_init_worker,
                         initargs=(self.stop,))

    def interrupt(self) -> None:
        self.stop.set()
        for process in list((getattr(self, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError, AttributeError, ValueError):
                os.kill(process.pid, signal.SIGINT)


def worker_start_method() -> str:
    """How the sweep starts its workers: ``fork`` where it is safe, else ``spawn``.

    A spawned worker is a fresh interpreter that imports numpy and the core again,
    about half a second each, which a sweep of short runs pays in full.  A forked one
    starts in milliseconds with everything already imported.  Forking is safe only in a
    process that runs no other thread (a lock held by another thread at the fork stays
    held forever in the child) and on Linux (macOS system libraries do not survive a
    fork); the command line is such a process when it starts the pool.
    """
    import threading

    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


_STOP: Any = None  # in a worker: the pool's stop flag


def _init_worker(stop: Any) -> None:
    global _STOP
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One BLAS thread per worker (the workers are the threads): a worker inherits
    # the BLAS thread variables tui_symmetry/__init__.py set in this process's
    # environment before numpy loaded.


def _run_in_worker(config_values: dict[str, Any], steps: int) -> dict[str, Any]:
    """run_summary, unless the sweep was interrupted; Ctrl+C stops it while it runs."""
    if _STOP is not None and _STOP.is_set():
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run_summary(config_values, steps)
    finally:
        signal.signal(signal.SIGINT, previous)


def make_executor(jobs: int, scheduler: str | None) -> Executor:
    """Worker processes, or a Dask cluster's executor when ``scheduler`` is given."""
    if scheduler is None:
        return _WorkerPool(jobs)
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerUnavailable("--scheduler needs Dask distributed: "
                                   "pip install 'tui-symmetry[dask]'") from None
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnavailable(f"cannot reach the scheduler {scheduler}: {exc}") from None
    return _ClientExecutor(client)


class _ClientExecutor(Executor):
    """A Dask client's executor that closes the client when it shuts down."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self.executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def execute(runs: Sequence[Run], steps: int, executor: Executor,
            on_done: Callable[[Run], None] | None = None) -> bool:
    """Run every run on ``executor``, filling in summaries (``on_done`` after each one
    finished); True if interrupted (Ctrl+C).  The executor is shut down on the way out."""
    worker = _run_in_worker if isinstance(executor, _WorkerPool) else run_summary
    interrupted = False
    try:
        futures = {executor.submit(worker, run.config.to_dict(), steps): run for run in runs}
        for future in as_completed(futures):
            run = futures[future]
            try:
                run.summary = future.result()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a worker crashed: report it in the row
                run.error = f"{type(exc).__name__}: {exc}"
            if on_done is not None:
                on_done(run)
    except KeyboardInterrupt:
        interrupted = True
        if isinstance(executor, _WorkerPool):
            executor.interrupt()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return interrupted


# -- the split-time law -------------------------------------------------------------------


def fit_split_steps(runs: Iterable[Run], varied: Sequence[str]) -> list[SplitFit]:
    """The least-squares line of split step against log10(1/ε), per group of the other
    varied settings; only when ε is varied, over runs with ε > 0 that split.

    The split step is the run's first *lasting* split (core/lasting.py): a crossing
    undone within the window is no point of the law.  ``r2`` is None for two points.
    """
    if "epsilon" not in varied:
        return []
    others = [name for name in varied if name != "epsilon"]
    groups: dict[tuple, list[tuple[float, int]]] = {}
    for run in runs:
        if run.summary is None or run.summary.get("split_step") is None:
            continue
        eps = run.config.epsilon
        if eps <= 0:
            continue
        key = tuple(run.varied[name] for name in others)
        groups.setdefault(key, []).append((math.log10(1.0 / eps), run.summary["split_step"]))
    fits = []
    for key, points in groups.items():
        if len({x for x, _ in points}) < 2:
            continue
        x = np.array([p[0] for p in points])
        y = np.array([p[1] for p in points], dtype=float)
        slope, intercept = np.polyfit(x, y, 1)
        residual = y - (intercept + slope * x)
        total = float(((y - y.mean()) ** 2).sum())
        # A line through two points fits them exactly whatever they are: an R² there
        # says nothing, so there is none.
        r2 = (1.0 - float((residual**2).sum()) / total
              if total > 0 and len(points) > 2 else None)
        fits.append(SplitFit(dict(zip(others, key, strict=True)), float(slope),
                             float(intercept), r2, tuple(sorted(points))))
    return fits
