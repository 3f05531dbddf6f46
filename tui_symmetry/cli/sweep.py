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

import csv
import io
import json
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any, TextIO

from tui_symmetry.cli.errors import ExitCode, UsageError
from tui_symmetry.cli.output import isatty, write_output
from tui_symmetry.cli.parsing import (
    STEPS,
    STEPS_DEFAULT,
    STEPS_OR_SCENE,
    Parser,
    add_run_options,
    build_config,
    given_settings,
    steps_to_run,
    with_table,
)
from tui_symmetry.cli.progress import Bar
from tui_symmetry.core.config import FIELD_BY_NAME, Config, ConfigError
from tui_symmetry.experiments import sweep as experiment
from tui_symmetry.experiments.sweep import (
    BadGridPoint,
    Run,
    SchedulerUnavailable,
    SplitFit,
    Vary,
    describe,
    execute,
    fit_split_steps,
    make_executor,
    make_grid,
)
from tui_symmetry.settings import PROG

MAX_RUNS = 10_000
# Above either of these a grid runs only with --yes: the refusal says how big it is and
# about how long it would take (a thousand runs alone cost a minute or more of start-up).
CONFIRM_RUNS = 1_000
CONFIRM_STEPS = 20_000_000
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


# -- the command line ---------------------------------------------------------------------


def build_sweep_parser() -> Parser:
    """The parser for ``tui-symmetry sweep ...``."""
    parser = Parser.command(
        "sweep",
        usage=f"{PROG} sweep --vary NAME=V1,V2,... [--vary ...] [OPTIONS] {STEPS_OR_SCENE} "
        "[--jobs J] [--json | --csv] [--scheduler ADDRESS] [--yes]",
        description=SWEEP_DESCRIPTION,
        epilog=SWEEP_EPILOG,
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
    add_run_options(parser)
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


def grid(base: Config, varies: Sequence[Vary]) -> list[Run]:
    """The runs of ``--vary``: each setting varied once, at most MAX_RUNS, every point a
    valid config (else a UsageError that names it)."""
    names = [vary.name for vary in varies]
    if len(set(names)) != len(names):
        raise UsageError(f"--vary {sorted(n for n in names if names.count(n) > 1)[0]} "
                         "given twice")
    size = math.prod(len(vary.values) for vary in varies)
    if size > MAX_RUNS:
        raise UsageError(f"the grid has {size:,} runs; at most {MAX_RUNS:,}")
    try:
        return make_grid(base, varies)
    except BadGridPoint as exc:
        raise UsageError(str(exc)) from None


def _read_tables(runs: list[Run], samples_given: bool) -> None:
    """Read and check each run's table before any run starts, as build_config does for
    one run: a table takes all its rows unless samples was given (or is varied), a toy
    the default number, so a grid over datasets gives each its own.  UsageError naming
    the grid point."""
    for run in runs:
        try:
            run.config = with_table(run.config, samples_given=samples_given)
        except UsageError as exc:
            point = ", ".join(f"{k.replace('_', '-')}={v}" for k, v in run.varied.items())
            raise UsageError(f"the grid's run {point}: {exc}") from None


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO,
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
    runs = grid(build_config(args), varies)
    if any(run.config.is_table for run in runs):
        _read_tables(runs, "samples" in given_settings(args) or "samples" in varied)
    if not args.yes:
        confirm_size(runs, steps, None if args.scheduler else min(jobs, len(runs)))
    factory = executor_factory or make_executor
    try:
        executor = factory(min(jobs, len(runs)), args.scheduler)
    except SchedulerUnavailable as exc:
        raise UsageError(str(exc)) from None
    show_progress = not (args.json or args.csv) and isatty(stderr)
    bar = Bar.runs(stderr, len(runs)) if show_progress else None
    try:
        interrupted = execute(runs, steps, executor,
                              None if bar is None else lambda run: bar.advance())
    finally:
        if bar is not None:
            bar.stop()
    fits = fit_split_steps(runs, varied)
    if args.json:
        text = json.dumps(json_document(runs, fits, interrupted), allow_nan=False) + "\n"
    elif args.csv:
        text = csv_text(runs, varied)
    else:
        text = table_text(runs, varied)
        for fit in fits:
            text += fit_text(fit) + "\n"
            chart = fit_chart(fit, color=isatty(stdout))
            if chart:
                text += chart + "\n"
        if interrupted:
            finished = sum(run.summary is not None for run in runs)
            text += f"interrupted: {finished} of {len(runs)} runs finished\n"
    write_output(stdout, text)
    return ExitCode.INTERRUPTED if interrupted else ExitCode.OK


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
    overhead, per_step = experiment.trial_run(runs[0].config, steps)  # tests patch it
    seconds = len(runs) * (overhead + steps * per_step)
    where = "on one core" if jobs is None else f"with {jobs} job{'s' if jobs > 1 else ''}"
    raise UsageError(
        f"the grid has {len(runs):,} run{'s' if len(runs) > 1 else ''} of {steps:,} steps "
        f"({total:,} steps in all; about {duration_text(seconds / (jobs or 1))} {where}, "
        "judging by a trial run here); add --yes to run it")


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


# -- the split-time law -----------------------------------------------------------------------


def fit_text(fit: SplitFit) -> str:
    """One line: the fit in words."""
    where = f" ({describe(fit.group)})" if fit.group else ""
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
