"""``tui-symmetry scenarios``: the lecture's scenes, one line each."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry.cli.errors import ExitCode
from tui_symmetry.cli.output import write_output
from tui_symmetry.cli.parsing import Parser
from tui_symmetry.scenarios import listing as scenario_listing
from tui_symmetry.settings import PROG

SCENARIOS_DESCRIPTION = (
    "List the built-in scenarios, one per line, in lecture order.  Open one with\n"
    "'tui-symmetry --scenario NAME' or train it with 'tui-symmetry train --scenario NAME'."
)


def build_scenarios_parser() -> Parser:
    """The parser for ``tui-symmetry scenarios`` (no options but --help)."""
    return Parser(prog=f"{PROG} scenarios", usage=f"{PROG} scenarios",
                   description=SCENARIOS_DESCRIPTION,
                   formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry scenarios``: one ``name  title`` line per built-in scenario."""
    build_scenarios_parser().parse_args(argv)
    write_output(stdout, scenario_listing())
    return ExitCode.OK
