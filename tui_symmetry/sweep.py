"""``tui-symmetry sweep``: a grid of headless runs in parallel, and the split-time law.

    tui-symmetry sweep --vary NAME=V1,V2,... [--vary ...] [OPTIONS]
                       (--steps N | --scenario NAME) [--jobs J] [--json | --csv]
                       [--scheduler ADDRESS] [--yes]

Every combination of the varied settings (on top of the run options, as for ``train``)
is one run; each run's summary is exactly what ``tui-symmetry train --json`` prints for
the same options, bit for bit (apart from the measured speed).  The runs go to worker
processes (``--jobs``, default: the number of cores) or, with ``--scheduler``, to a Dask
distributed cluster through its concurrent.futures executor (``pip install
'tui-symmetry[dask]'``).

When ε is varied the sweep fits the first lasting split step against log10(1/ε): near the
symmetric saddle a difference grows ×e every 1/ln(1 − lr·λ) ≈ 1/(lr·|λ|) steps, so a
run started ε from it splits after about ln(c/ε)/(lr·|λ|) steps — a straight line in
log10(1/ε) with lr·|λ|/ln 10 decades per step, where the curvature is steady.

A grid of more than CONFIRM_RUNS runs or CONFIRM_STEPS steps in all runs only with
``--yes``; without it the command says how big the grid is and about how long it would
take, judging by a trial run (exit status 2).

Ctrl+C stops the runs in flight and prints those that finished (exit status 130).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from tui_symmetry.cli import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    STEPS,
    STEPS_DEFAULT,
    STEPS_OR_SCENE,
    UsageError,
    _add_run_options,
    _isatty,
    _Parser,
    build_config,
    steps_to_run,
    write_output,
)
from tui_symmetry.core.config import FIELD_BY_NAME, MAX_SEED, Config, ConfigError
from tui_symmetry.experiments import headless

MAX_RUNS = 10_000
# Above either of these a grid runs only with --yes: the refusal says how big it is and
# about how long it would take (a thousand runs alone cost a minute or more of start-up).
CONFIRM_RUNS = 1_000
CONFIRM_STEPS = 20_000_000
# Steps of the trial run that times a large grid's estimate (a second at most at H = 8).
TRIAL_STEPS = 300
# Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT = 10

SWEEP_DESCRIPTION = (
    "Train a grid of runs in parallel and print one summary per run; with a varied\n"
    "epsilon, fit the split step against log10(1/epsilon)."
)
SWEEP_EPILOG = (
    "examples:\n"
    "  tui-symmetry sweep --vary epsilon=1e-2,1e-4,1e-6,1e-8 --steps 20000\n"
    "  tui-symmetry sweep --vary dataset=xor,moons --vary hidden=4,8 --steps 3000 --csv\n"
    "  tui-symmetry sweep --vary seed=0,1,2,3 --steps 5000 --scheduler tcp://host:8786\n"
)
# Summary keys that list changes of the count as [step, k_before, k_after]: one CSV cell
# each, "step:before>after" joined by ";".
CHANGE_KEYS = ("splits", "merges", "not_yet_lasting", "unit_events")
# Columns of the table and the CSV (after the varied settings), in this order.
TABLE_COLUMNS = (
    ("loss", "loss"),
    ("test_loss", "test loss"),
    ("accuracy", "acc"),
    ("symmetry_index", "symmetry"),
    ("distinct_units", "distinct"),
    ("split_step", "split step"),
    ("saddle_curvature", "curvature"),
    ("one_unit_loss", "one-unit loss"),
    ("diverged", "diverged"),
)


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


# -- the command line ---------------------------------------------------------------------


def build_sweep_parser() -> _Parser:
    """The parser for ``tui-symmetry sweep ...``."""
    parser = _Parser(
        prog=f"{PROG} sweep",
        usage=f"{PROG} sweep --vary NAME=V1,V2,... [--vary ...] [OPTIONS] {STEPS_OR_SCENE} "
        "[--jobs J] [--json | --csv] [--scheduler ADDRESS] [--yes]",
        description=SWEEP_DESCRIPTION,
        epilog=SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    sweep = parser.add_argument_group("sweep")
    sweep.add_argument("--vary", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="a run option and the values to try (repeat for a grid)")
    sweep.add_argument("--steps", default=None, metavar="N",
                       help=f"{STEPS.help} per run; {STEPS.describe_range()} "
                       f"({STEPS_DEFAULT})")
    sweep.add_argument("--jobs", default=None, metavar="J",
                       help="runs at a time; an integer in [1, 1024] (default: the cores)")
    output = sweep.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print one JSON object (runs and fits) instead of the table")
    output.add_argument("--csv", action="store_true",
                        help="print the runs as CSV instead of the table")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="send the runs to a Dask distributed scheduler (needs "
                       "tui-symmetry[dask])")
    sweep.add_argument("--yes", action="store_true",
                       help=f"run a grid of more than {CONFIRM_RUNS:,} runs or "
                       f"{CONFIRM_STEPS:,} steps in all (without it such a grid is "
                       "refused with its size and an estimate of its time)")
    parser.ranges.update({
        "--vary": "NAME=V1,V2,... with NAME a run option",
        "--steps": STEPS.describe_range(),
        "--jobs": "an integer in [1, 1024]",
        "--scheduler": "an address such as tcp://host:8786",
    })
    _add_run_options(parser)
    return parser


def parse_vary(text: str) -> Vary:
    """``NAME=V1,V2,...`` -> Vary, each value checked like the flag of that option."""
    name, sep, values = text.partition("=")
    key = name.strip().lstrip("-").replace("-", "_")
    spec = FIELD_BY_NAME.get(key)
    if not sep or spec is None:
        known = ", ".join(sorted(name.replace("_", "-") for name in FIELD_BY_NAME))
        raise UsageError(f"--vary {text!r}: expected NAME=V1,V2,... with NAME one of {known}")
    items = [item.strip() for item in values.split(",")]
    if not any(items):
        raise UsageError(f"--vary {text!r}: no values")
    if "" in items:  # `lr=0.1,,0.2`: a value left out by mistake, not one to skip
        raise UsageError(f"--vary {text!r}: value {items.index('') + 1} of {len(items)} "
                         "is empty")
    coerced = []
    for item in items:
        try:
            value = spec.coerce(item)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        if value not in coerced:
            coerced.append(value)
    return Vary(key, tuple(coerced))


def make_grid(base: Config, varies: Sequence[Vary]) -> list[Run]:
    """Every combination of the varied values on top of ``base``, first --vary slowest."""
    names = [vary.name for vary in varies]
    if len(set(names)) != len(names):
        raise UsageError(f"--vary {sorted(n for n in names if names.count(n) > 1)[0]} "
                         "given twice")
    size = math.prod(len(vary.values) for vary in varies)
    if size > MAX_RUNS:
        raise UsageError(f"the grid has {size:,} runs; at most {MAX_RUNS:,}")
    runs = []
    for index, values in enumerate(itertools.product(*(vary.values for vary in varies))):
        varied = dict(zip(names, values, strict=True))
        try:
            config = base.replace(**varied)
        except ConfigError as exc:
            raise UsageError(f"{_describe(varied)}: {exc}") from None
        runs.append(Run(index, varied, config))
    return runs


def run_sweep_command(argv: Sequence[str], stdout: TextIO, stderr: TextIO,
                      executor_factory: Callable[[int, str | None], Executor] | None = None
                      ) -> int:
    """``tui-symmetry sweep``: run the grid, print the table (or JSON / CSV) and fits."""
    args = build_sweep_parser().parse_args(argv)
    if not args.vary:
        raise UsageError("sweep needs at least one --vary NAME=V1,V2,...")
    steps = steps_to_run(args, "sweep")
    jobs = (os.cpu_count() or 1) if args.jobs is None else _jobs(args.jobs)
    varies = [parse_vary(text) for text in args.vary]
    varied = [vary.name for vary in varies]
    runs = make_grid(build_config(args), varies)
    if not args.yes:
        confirm_size(runs, steps, None if args.scheduler else min(jobs, len(runs)))
    factory = executor_factory or make_executor
    show_progress = not (args.json or args.csv) and _isatty(stderr)
    interrupted = execute(runs, steps, factory(min(jobs, len(runs)), args.scheduler),
                          stderr if show_progress else None)
    fits = fit_split_steps(runs, varied)
    if args.json:
        text = json.dumps(json_document(runs, fits, interrupted), allow_nan=False) + "\n"
    elif args.csv:
        text = csv_text(runs, varied)
    else:
        text = table_text(runs, varied)
        for fit in fits:
            text += fit_text(fit) + "\n"
            chart = fit_chart(fit, color=_isatty(stdout))
            if chart:
                text += chart + "\n"
        if interrupted:
            finished = sum(run.summary is not None for run in runs)
            text += f"interrupted: {finished} of {len(runs)} runs finished\n"
    write_output(stdout, text)
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def confirm_size(runs: Sequence[Run], steps: int, jobs: int | None) -> None:
    """Refuse (UsageError) a grid above CONFIRM_RUNS runs or CONFIRM_STEPS steps, saying
    how big it is and about how long it would take: ``--yes`` runs it.

    Which grids ask depends on their size alone, never on the machine, so a script
    that runs here runs everywhere; only the estimate comes from a trial run here.
    ``jobs`` is how many run at once (None: a cluster's workers, unknown here).
    """
    total = len(runs) * steps
    if len(runs) <= CONFIRM_RUNS and total <= CONFIRM_STEPS:
        return
    overhead, per_step = trial_run(runs[0].config, steps)
    seconds = len(runs) * (overhead + steps * per_step)
    where = "on one core" if jobs is None else f"with {jobs} job{'s' if jobs > 1 else ''}"
    raise UsageError(
        f"the grid has {len(runs):,} run{'s' if len(runs) > 1 else ''} of {steps:,} steps "
        f"({total:,} steps in all; about {duration_text(seconds / (jobs or 1))} {where}, "
        "judging by a trial run here); add --yes to run it")


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


def duration_text(seconds: float) -> str:
    """``45 s``, ``50 min``, ``1.5 h``: a rough duration in the unit that suits it."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= 1024:
        raise UsageError(f"jobs: {text!r} is not an integer in [1, 1024]")
    return jobs


def _describe(varied: dict[str, Any]) -> str:
    return " ".join(f"{name.replace('_', '-')}={value}" for name, value in varied.items())


# -- running --------------------------------------------------------------------------------


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
        raise UsageError("--scheduler needs Dask distributed: "
                         "pip install 'tui-symmetry[dask]'") from None
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the scheduler {scheduler}: {exc}") from None
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
            progress_to: TextIO | None = None) -> bool:
    """Run every run on ``executor``, filling in summaries; True if interrupted (Ctrl+C)."""
    progress = task = None
    worker = _run_in_worker if isinstance(executor, _WorkerPool) else run_summary
    interrupted = False
    try:
        futures = {executor.submit(worker, run.config.to_dict(), steps): run for run in runs}
        if progress_to is not None:
            progress, task = _start_progress(progress_to, len(runs))
        for future in as_completed(futures):
            run = futures[future]
            try:
                run.summary = future.result()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # a worker crashed: report it in the row
                run.error = f"{type(exc).__name__}: {exc}"
            if progress is not None:
                progress.update(task, advance=1)
                progress.refresh()
    except KeyboardInterrupt:
        interrupted = True
        if isinstance(executor, _WorkerPool):
            executor.interrupt()
    finally:
        if progress is not None:
            progress.stop()
        executor.shutdown(wait=True, cancel_futures=True)
    return interrupted


def _start_progress(stream: TextIO, total: int) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(file=stream),
                        auto_refresh=False, transient=True)
    task = progress.add_task("sweep", total=total)
    progress.start()
    progress.refresh()
    return progress, task


# -- the split-time law -----------------------------------------------------------------------


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


def fit_text(fit: SplitFit) -> str:
    """One line: the fit in words."""
    where = f" ({_describe(fit.group)})" if fit.group else ""
    if len(fit.points) == 2:
        quality = "2 runs: two points give no quality of fit"
    else:
        r2 = "—" if fit.r2 is None else f"{fit.r2:.3f}"
        quality = f"R² {r2} over {len(fit.points)} runs"
    return (f"split step ≈ {fit.intercept:,.0f} + {fit.slope:,.0f} per decade of 1/ε{where}:"
            f" {quality}")


def fit_chart(fit: SplitFit, color: bool, width: int = 70, height: int = 16) -> str:
    """A plotext chart of the split steps and the fitted line (text)."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    if not color:
        plt.theme("clear")
    x = [p[0] for p in fit.points]
    y = [float(p[1]) for p in fit.points]
    plt.scatter(x, y, label="runs")
    ends = [min(x), max(x)]
    plt.plot(ends, [fit.intercept + fit.slope * e for e in ends], label="fit")
    plt.xlabel("log10(1/ε)")
    plt.ylabel("split step")
    chart = plt.build()
    plt.clear_figure()
    return chart if color else plt.uncolorize(chart)


# -- output -------------------------------------------------------------------------------------


def json_document(runs: Sequence[Run], fits: Sequence[SplitFit],
                  interrupted: bool) -> dict[str, Any]:
    """Everything as one JSON-ready object."""
    return {
        "runs": [
            {"varied": run.varied, "summary": run.summary, "error": run.error}
            for run in runs if run.summary is not None or run.error is not None
        ],
        "fits": [fit.to_dict() for fit in fits],
        "interrupted": interrupted,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table_text(runs: Sequence[Run], varied: Sequence[str]) -> str:
    """The finished runs as an aligned text table."""
    header = [name.replace("_", "-") for name in varied] + [label for _, label in TABLE_COLUMNS]
    rows = []
    for run in runs:
        if run.summary is None and run.error is None:
            continue
        cells = [_cell(run.varied[name]) for name in varied]
        if run.summary is None:
            cells.append(f"failed: {run.error}")
        else:
            cells += [_cell(run.summary.get(key)) for key, _ in TABLE_COLUMNS]
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows] if i < len(row))
              for i in range(len(header))]
    lines = ["  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in
             [header, *rows]]
    return "\n".join(lines) + "\n"


def csv_text(runs: Sequence[Run], varied: Sequence[str]) -> str:
    """The finished runs as CSV: varied settings, then every scalar of the summary."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys: list[str] = []
    for run in runs:
        for key in run.summary or {}:
            if key not in keys and key != "config":
                keys.append(key)
    writer.writerow([*varied, *keys])
    for run in runs:
        if run.summary is None:
            continue
        row = [run.varied[name] for name in varied]
        for key in keys:
            value = run.summary.get(key)
            if key in CHANGE_KEYS and value is not None:
                value = ";".join(f"{s}:{a}>{b}" for s, a, b in value)
            row.append("" if value is None else value)
        writer.writerow(row)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a thin entry point
    """Run the sweep command alone (``python -m tui_symmetry.sweep``)."""
    from tui_symmetry.cli import main as cli_main

    return cli_main(["sweep", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
