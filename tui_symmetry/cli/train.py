"""``tui-symmetry train``: one run headless, its report (or JSON), its export."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from tui_symmetry.cli.errors import ExitCode, RuntimeFailure
from tui_symmetry.cli.output import isatty, write_output
from tui_symmetry.cli.parsing import (
    STEPS,
    STEPS_DEFAULT,
    STEPS_OR_SCENE,
    Parser,
    add_run_options,
    build_config,
    steps_to_run,
)
from tui_symmetry.cli.progress import ChunkProgress
from tui_symmetry.cli.report import format_summary
from tui_symmetry.experiments import headless
from tui_symmetry.experiments.headless import Chunk
from tui_symmetry.export import CannotWrite, check_writable, run_document, write_json_atomic
from tui_symmetry.settings import PROG

TRAIN_DESCRIPTION = (
    "Train without the app and print a short summary (or one JSON object with --json)."
)


TRAIN_EPILOG = (
    "examples:\n"
    "  tui-symmetry train --steps 2000\n"
    "  tui-symmetry train --init symmetric --steps 5000 --json\n"
    "  tui-symmetry train --steps 2000 --export run.json   # replayable run document\n"
    "  tui-symmetry train --scenario zero-stuck --json   # to the scene's point step\n"
)


def build_train_parser() -> Parser:
    """The parser for ``tui-symmetry train ...`` (headless)."""
    parser = Parser.command(
        "train",
        usage=f"{PROG} train {STEPS_OR_SCENE} [OPTIONS] [--json] [--export FILE]",
        description=TRAIN_DESCRIPTION,
        epilog=TRAIN_EPILOG,
    )
    run = parser.add_argument_group("run")
    # Not required=True: argparse's message would not say what N may be; checked below.
    run.add_argument("--steps", default=None, metavar="N",
                     help=f"{STEPS.help}; {STEPS.describe_range()} ({STEPS_DEFAULT})")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object instead of the summary (no progress bar)")
    run.add_argument("--export", metavar="FILE", default=None,
                     help="write the replayable run document (JSON) to FILE, atomically")
    parser.ranges["--steps"] = STEPS.describe_range()
    parser.ranges["--export"] = "a file name"
    add_run_options(parser)
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry train``: train headless, report, optionally export."""
    args = build_train_parser().parse_args(argv)
    steps = steps_to_run(args, "train")
    config = build_config(args)
    if args.export is not None:
        # Fail before a long run, not after it; the write itself still reports errors.
        try:
            check_writable(args.export)
        except CannotWrite as exc:
            raise RuntimeFailure(str(exc)) from None

    show_progress = not args.json and isatty(stderr)
    with ChunkProgress(stderr if show_progress else None, first_loss) as progress:
        result = headless.train(config, steps, progress)
    snapshot = result.snapshot
    with np.errstate(all="ignore"):  # as in training: a diverged run's numbers overflow
        document = run_document(result.trainer) if args.export is not None else None

    if document is not None:
        try:
            write_json_atomic(args.export, document)
        except CannotWrite as exc:
            raise RuntimeFailure(str(exc)) from None
        except ValueError as exc:  # not JSON: a bug, still one line
            raise RuntimeFailure(f"cannot write {args.export}: {exc}") from None

    summary = snapshot.summary()
    if args.json:
        write_output(stdout, json.dumps(summary, allow_nan=False) + "\n")
    else:
        write_output(stdout, format_summary(summary, steps, snapshot.chance_level,
                                            args.export, has_test=config.n_test > 0))
    return ExitCode.OK


def first_loss(chunk: Chunk) -> str:
    """The loss words of a single run's progress bar."""
    return f"{chunk.trainers[0].train_loss():.4g}"
