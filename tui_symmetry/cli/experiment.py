"""``tui-symmetry experiment NAME``: one experiment of experiments/registry.py headless.

    tui-symmetry experiment NAME [--steps N | --scenario NAME] [OPTIONS]
                            [experiment options] [--json]

The run options are train's (the same generated parser); each experiment adds its own
(``--runs``, ``--space``, ...), read from its row of ``EXPERIMENTS``.  The report is a
few aligned rows and one verdict line; ``--json`` prints the result's dict
(docs/contracts.md, "Experiments").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry.cli.errors import ExitCode, UsageError
from tui_symmetry.cli.output import isatty, write_output
from tui_symmetry.cli.parsing import (
    STEPS,
    Parser,
    add_run_options,
    build_config,
    coerce_option,
    find_scenario,
)
from tui_symmetry.cli.progress import ChunkProgress
from tui_symmetry.cli.report import aligned_rows
from tui_symmetry.core.config import ConfigError
from tui_symmetry.experiments import registry
from tui_symmetry.experiments.headless import Chunk
from tui_symmetry.experiments.registry import EXPERIMENTS, Experiment, ExperimentJob
from tui_symmetry.settings import PROG

USAGE = (f"{PROG} experiment NAME [--steps N | --scenario NAME] [OPTIONS] "
         "[experiment options] [--json]")


def _list_text() -> str:
    width = max(len(name) for name in EXPERIMENTS)
    return "".join(f"  {name:<{width}}  {experiment.help}\n"
                   for name, experiment in EXPERIMENTS.items())


def build_parser(name: str, experiment: Experiment) -> Parser:
    """The parser of ``experiment NAME``: its steps, its options, the run options."""
    parser = Parser.command(
        f"experiment {name}", usage=USAGE.replace("NAME [", f"{name} [", 1),
        description=f"{experiment.title}: {experiment.help}.",
        epilog=f"example:\n  {PROG} experiment {name} --init xavier --json\n")
    group = parser.add_argument_group(f"experiment {name}")
    group.add_argument("--steps", default=None, metavar="N",
                       help=f"{STEPS.help}, each run; {STEPS.describe_range()} (default: "
                       f"the scene's point step with --scenario, else {experiment.steps:,})")
    parser.ranges["--steps"] = STEPS.describe_range()
    for option in experiment.options:
        spec = option.spec
        default = "" if "default" in spec.help else f" (default: {option.default})"
        group.add_argument(spec.flag, dest=f"x_{spec.name}", default=None,
                           metavar="NAME" if spec.choices else "N",
                           help=f"{spec.help}; {spec.describe_range()}{default}")
        parser.ranges[spec.flag] = spec.describe_range()
    group.add_argument("--json", action="store_true",
                       help="print one JSON object instead of the report (no progress bar)")
    add_run_options(parser)
    return parser


def _name(argv: Sequence[str], stdout: TextIO) -> str | None:
    """The experiment's name (argv[0]); None after printing the list for --help."""
    if not argv or argv[0] in ("-h", "--help"):
        if argv:
            write_output(stdout, f"usage: {USAGE}\n\nexperiments:\n{_list_text()}")
            return None
        raise UsageError("experiment needs a NAME: one of " + ", ".join(EXPERIMENTS))
    try:
        registry.get_experiment(argv[0])
    except registry.UnknownExperiment as exc:
        raise UsageError(str(exc)) from None
    return argv[0]


def job_of(name: str, argv: Sequence[str]) -> tuple[ExperimentJob, bool]:
    """The job the words after NAME ask for, and whether --json was given."""
    experiment = EXPERIMENTS[name]
    args = build_parser(name, experiment).parse_args(argv)
    config = build_config(args)
    scene = {} if args.scenario is None else find_scenario(args.scenario).experiment_options(
        name)
    if args.steps is not None:
        steps = coerce_option(STEPS, args.steps)
    elif args.scenario is not None:
        steps = scene.pop("steps", find_scenario(args.scenario).point_step)
    else:
        steps = experiment.steps
    scene.pop("steps", None)
    given = {**scene, **{option.spec.name: getattr(args, f"x_{option.spec.name}")
                         for option in experiment.options
                         if getattr(args, f"x_{option.spec.name}") is not None}}
    try:
        return ExperimentJob.of(name, config, steps, **given), args.json
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def mean_loss(chunk: Chunk) -> str:
    """The loss words of an experiment's progress bar: the runs' mean loss."""
    losses = [trainer.train_loss() for trainer in chunk.trainers]
    return f"mean {sum(losses) / len(losses):.4g} over {len(losses)} runs"


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry experiment NAME ...``: parse, run, report."""
    name = _name(argv, stdout)
    if name is None:
        return ExitCode.OK
    job, as_json = job_of(name, argv[1:])
    show_progress = not as_json and isatty(stderr)
    with ChunkProgress(stderr if show_progress else None, mean_loss) as progress:
        try:  # an experiment may refuse settings only it knows (a unit past H)
            result = registry.run(job, progress)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    if as_json:
        write_output(stdout, json.dumps(result.to_dict(), allow_nan=False) + "\n")
    else:
        write_output(stdout, aligned_rows(result.rows()) + "\n" + result.verdict + "\n")
    return ExitCode.OK
