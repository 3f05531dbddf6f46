"""``tui-symmetry compare``: two runs in lockstep, their units matched (docs/contracts.md).

    tui-symmetry compare --a "OPTIONS" --b "OPTIONS" [shared OPTIONS]
                         (--steps N | --scenario NAME) [--json]

Both runs start from the shared options (defaults, then ``--config``, then flags); ``--a``
and ``--b`` each hold more of the same flags, which override the shared ones for that
run only.  Everything about options comes from :mod:`tui_symmetry.cli`: the same
generated parser reads the shared options and the words inside ``--a`` and ``--b``, so
the two cannot disagree with ``train``.  Each run is exactly what ``train`` with its
options would give: same Trainer, same steps, same summary.
"""

from __future__ import annotations

import argparse
import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry.cli.errors import ExitCode, UsageError
from tui_symmetry.cli.output import isatty, report_width, write_output
from tui_symmetry.cli.parsing import (
    STEPS,
    STEPS_DEFAULT,
    STEPS_OR_SCENE,
    Parser,
    add_run_options,
    build_config,
    coerce_option,
    find_scenario,
    join_option_values,
    missing_steps,
)
from tui_symmetry.cli.progress import ChunkProgress
from tui_symmetry.cli.report import summary_rows
from tui_symmetry.core.config import FIELDS, Config, FieldSpec
from tui_symmetry.core.matching import UNMATCHED, Matching
from tui_symmetry.experiments.baseline import BASELINE_STARTS
from tui_symmetry.experiments.compare import (
    SIDES,
    Comparison,
    MatchingWords,
    compare,
    matching_words,
    verdict,
)
from tui_symmetry.experiments.headless import Chunk
from tui_symmetry.settings import PROG

BASELINE_RUNS = FieldSpec(
    "baseline_runs", int, "more starts of each configuration, trained as long, for the "
    "trained baseline (each costs as much as one run; 0: none)", "compare", low=0, high=10)
# Beyond this many units the pairs row would wrap; the JSON has them all.
PAIRS_SHOWN = 16

COMPARE_USAGE = (f'{PROG} compare --a "OPTIONS" --b "OPTIONS" [OPTIONS] '
                 f"{STEPS_OR_SCENE} [--json]")
COMPARE_DESCRIPTION = (
    "Train two networks on the same data and seed, differing only in what --a and --b\n"
    "give, step for step; print both summaries side by side, B's units matched to A's\n"
    "(Hungarian assignment on their similarity) against its chance level, and a verdict."
)
COMPARE_EPILOG = (
    "--a and --b take run options in quotes, written as for the main command; the\n"
    "other options are shared by both runs.  Examples:\n"
    f'  {PROG} compare --a "--init symmetric" --b "--init xavier" --steps 2000\n'
    f'  {PROG} compare --b "--activation relu" --hidden 16 --steps 5000 --json\n'
)


def build_compare_parser() -> Parser:
    """The parser for ``tui-symmetry compare ...``: its own options and the shared ones."""
    parser = Parser.command(
        "compare",
        usage=COMPARE_USAGE,
        description=COMPARE_DESCRIPTION,
        epilog=COMPARE_EPILOG,
    )
    runs = parser.add_argument_group("compare")
    for side in SIDES:
        runs.add_argument(f"--{side}", default="", metavar='"OPTIONS"',
                          help=f"run options for run {side.upper()} only, quoted")
        parser.ranges[f"--{side}"] = f'run options in quotes, e.g. --{side} "--init xavier"'
    runs.add_argument("--steps", default=None, metavar="N",
                      help=f"{STEPS.help}, each run; {STEPS.describe_range()} "
                      f"({STEPS_DEFAULT}; a scene named in --a or --b counts too, "
                      "if their points agree)")
    runs.add_argument("--baseline-runs", default=str(BASELINE_STARTS), metavar="N",
                      help=f"{BASELINE_RUNS.help}; {BASELINE_RUNS.describe_range()}, "
                      f"default {BASELINE_STARTS}")
    runs.add_argument("--json", action="store_true",
                      help="print one JSON object instead of the report (no progress bar)")
    parser.ranges["--steps"] = STEPS.describe_range()
    parser.ranges["--baseline-runs"] = BASELINE_RUNS.describe_range()
    add_run_options(parser)
    return parser


def build_side_parser(side: str) -> Parser:
    """The parser for the words inside ``--a`` or ``--b``: the run options, nothing else."""
    parser = Parser(prog=f"{PROG} compare --{side}", add_help=False,
                         allow_abbrev=False)
    add_run_options(parser)
    return parser


def _attach_side_values(parser: Parser, argv: Sequence[str]) -> list[str]:
    """``--a WORDS`` becomes ``--a=WORDS``: the value of --a is itself made of options.

    argparse would take a one-word value like ``--init=xavier`` for a shared option and
    leave --a without a value.  A following word that is exactly an option of compare
    (``--a --b ...``) is not taken: --a is missing its value, and argparse says so.
    """
    return join_option_values(argv, lambda word, following: (
        word in ("--a", "--b") and not parser.is_option(following)))


def side_args(shared: argparse.Namespace, side: str) -> argparse.Namespace:
    """Run ``side``'s options: the shared ones overlaid with the words of ``--side``.

    The words are parsed into a copy of the shared namespace, so a flag there overrides
    the shared one; a ``--config`` or ``--scenario`` there replaces the shared one, and
    flags (shared or not) still override any file or scene.  A bad word is a UsageError
    naming ``--side``.
    """
    try:
        words = shlex.split(getattr(shared, side))
    except ValueError as exc:  # "No closing quotation"
        reason = str(exc)
        raise UsageError(f"in --{side}: {reason[:1].lower()}{reason[1:]}") from None
    try:
        return build_side_parser(side).parse_args(words, argparse.Namespace(**vars(shared)))
    except UsageError as exc:
        raise UsageError(f"in --{side}: {exc}") from None


def side_config(shared: argparse.Namespace, side: str) -> Config:
    """Run ``side``'s Config (see :func:`side_args`); a bad value names ``--side``."""
    namespace = side_args(shared, side)
    try:
        return build_config(namespace)
    except UsageError as exc:
        raise UsageError(f"in --{side}: {exc}") from None


def compare_steps(shared: argparse.Namespace) -> int:
    """``--steps`` as given; without it, the point step of the scene the runs start
    from (``--scenario``, shared or given inside ``--a``/``--b``).  Two scenes that make
    their points at different steps leave it to the user: a UsageError naming both."""
    if shared.steps is not None:
        return coerce_option(STEPS, shared.steps)
    if shared.scenario is not None:
        find_scenario(shared.scenario)  # an unknown shared scene is not --a's
    scenes = {}
    for side in SIDES:
        name = side_args(shared, side).scenario
        if name is not None:
            try:
                scenes[side] = find_scenario(name)
            except UsageError as exc:
                raise UsageError(f"in --{side}: {exc}") from None
    points = {scene.point_step for scene in scenes.values()}
    if not points:
        raise missing_steps("compare")
    if len(points) > 1:
        a, b = scenes["a"], scenes["b"]
        raise UsageError(f"--a's scene {a.name} makes its point at step "
                             f"{a.point_step:,} and --b's {b.name} at {b.point_step:,}: "
                             "give --steps N")
    return points.pop()


def side_losses(chunk: Chunk) -> str:
    """The loss words of compare's progress bar: ``A 0.1234 · B 0.0567``."""
    return " · ".join(f"{side.upper()} {trainer.train_loss():.4g}"
                      for side, trainer in zip(SIDES, chunk.trainers, strict=False))


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry compare``: parse, train both runs, report."""
    parser = build_compare_parser()
    args = parser.parse_args(_attach_side_values(parser, argv))
    steps = compare_steps(args)
    build_config(args)  # a bad shared option is reported as such, not as A's
    config_a, config_b = (side_config(args, side) for side in SIDES)

    show_progress = not args.json and isatty(stderr)
    baseline_runs = coerce_option(BASELINE_RUNS, args.baseline_runs)
    with ChunkProgress(stderr if show_progress else None, side_losses) as progress:
        result = compare(config_a, config_b, steps, progress, baseline_runs)
    if args.json:
        write_output(stdout, json.dumps(result.to_dict(), allow_nan=False) + "\n")
    else:
        write_output(stdout, format_comparison(result, steps, report_width(stdout)))
    return ExitCode.OK


# -- the report ----------------------------------------------------------------------------


def format_comparison(result: Comparison, requested: int, width: int | None = None) -> str:
    """The human-readable report: both summaries side by side, the matching, a verdict.

    With a ``width``, a cell too long for its column goes on in the lines below it, in
    its own column, broken between words (a number is never cut); None keeps one row
    per line.
    """
    a, b = result.a, result.b
    rows_a = summary_rows(a.summary(), requested, a.chance_level, None,
                              has_test=a.config.n_test > 0)
    rows_b = summary_rows(b.summary(), requested, b.chance_level, None,
                              has_test=b.config.n_test > 0)
    table: list[tuple[str, str, str]] = [("", "A", "B")]
    table += _config_differences(a.config, b.config)
    table += _side_by_side(rows_a, rows_b)
    lines = _table_lines(table, width)

    matching_rows = [*_matching_rows(result.matching, requested), _barrier_row(result)]
    label_width = max(len(label) for label, _ in matching_rows)
    value_width = None if width is None else width - label_width - 2
    lines.append("")
    for label, value in matching_rows:
        for i, part in enumerate(_wrap(value, value_width)):
            lines.append(f"{label if i == 0 else '':<{label_width}}  {part}".rstrip())
    lines.append("")
    line = verdict(a.summary(), b.summary())
    if width is not None and len(line) > width:  # A's verdict, then B's
        first, second = line.split(" · ", 1)
        lines += _wrap(f"{first} ·", width) + _wrap(second, width)
    else:
        lines.append(line)
    return "\n".join(lines) + "\n"


def _table_lines(table: list[tuple[str, str, str]], width: int | None) -> list[str]:
    """``label  A  B`` lines; the A and B columns share what ``width`` leaves them."""
    label_width = max(len(label) for label, _, _ in table)
    natural = [max(len(row[i]) for row in table) for i in (1, 2)]
    longest = [max(len(word) for row in table for word in row[i].split() or [""])
               for i in (1, 2)]
    a_width = natural[0]
    b_width = None
    room = None if width is None else width - label_width - 4
    if room is not None and a_width + natural[1] > room:
        # B keeps what it needs when that is less than half; A gets the rest.
        a_room = room - natural[1] if natural[1] <= room // 2 else room // 2
        a_width = min(natural[0], max(a_room, longest[0]))
        b_width = max(room - a_width, longest[1])
    lines = []
    for label, value_a, value_b in table:
        cells_a = _wrap(value_a, a_width)
        cells_b = _wrap(value_b, b_width)
        for i in range(max(len(cells_a), len(cells_b))):
            cell_a = cells_a[i] if i < len(cells_a) else ""
            cell_b = cells_b[i] if i < len(cells_b) else ""
            lines.append(f"{label if i == 0 else '':<{label_width}}  "
                         f"{cell_a:<{a_width}}  {cell_b}".rstrip())
    return lines


def _wrap(text: str, width: int | None) -> list[str]:
    """``text`` in lines of at most ``width`` (None: one line), broken at two spaces
    first (between a value and its parenthesis, between pairs), then between words;
    a word longer than ``width`` stays whole."""
    separator = "  "
    if width is None or len(text) <= width:
        return [text]
    lines: list[str] = []
    for part in text.split(separator):
        joined = f"{lines[-1]}{separator}{part}" if lines else part
        if lines and len(joined) <= width:
            lines[-1] = joined
        elif len(part) <= width:
            lines.append(part)
        else:
            lines += textwrap.wrap(part, width, break_long_words=False,
                                   break_on_hyphens=False)
    return lines


def _config_differences(config_a: Config, config_b: Config) -> list[tuple[str, str, str]]:
    """One row per setting the two runs differ in, in the order of the settings table."""
    rows = []
    for spec in FIELDS:
        value_a, value_b = getattr(config_a, spec.name), getattr(config_b, spec.name)
        if value_a != value_b:
            rows.append((spec.flag[2:], str(value_a), str(value_b)))
    return rows


def _side_by_side(rows_a: list[tuple[str, str]],
                  rows_b: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """The union of both runs' rows, in order; a row only one run has is blank in the other
    (e.g. accuracy when only one of them classifies)."""
    values_a, values_b = dict(rows_a), dict(rows_b)
    labels = [label for label, _ in rows_a]
    for index, (label, _) in enumerate(rows_b):
        if label not in values_a:
            labels.insert(min(index, len(labels)), label)
    return [(label, values_a.get(label, ""), values_b.get(label, "")) for label in labels]


def _matching_rows(matching: Matching, steps: int) -> list[tuple[str, str]]:
    words = matching_words(matching, _number)
    if words.reason is not None:
        return [("matched similarity", f"none: {words.reason}")]
    pairs = [f"{i + 1}–{'none' if j == UNMATCHED else j + 1}"
             for i, j in enumerate(matching.b_for_a)]
    shown = "  ".join(pairs[:PAIRS_SHOWN])
    if len(pairs) > PAIRS_SHOWN:
        shown += f"  … ({len(pairs)} pairs; all in --json)"
    return [("matched similarity", words.mean),
            *baseline_rows(words, steps),
            ("pairs (A–B)", shown)]


def _barrier_row(result: Comparison) -> tuple[str, str]:
    """``barrier A → B  0.641 before matching, 0.005 after`` (or why there is none)."""
    if result.barrier is None:
        return ("barrier A → B", f"none: {result.barrier_reason}")
    return ("barrier A → B", f"{result.barrier.words()}  (the loss's rise along the "
            "straight line between the runs' weights)")


def _number(value: float) -> str:
    """A number of the matching, as the report writes it."""
    return f"{value:.3f}"


def baseline_rows(words: MatchingWords, steps: int) -> list[tuple[str, str]]:
    """What the matched similarity is to be read against, each with what it is: the
    trained baseline (experiments/baseline.py), then the chance of untrained starts."""
    rows = []
    if words.trained is not None:
        rows.append(("trained apart", f"{words.trained}"
                     f"  ({words.trained_pairs} pairs of A and B from other starts, "
                     f"same data, {steps:,} steps)"))
    rows.append(("chance", f"{words.chance}  (independent random starts, untrained)"))
    return rows
