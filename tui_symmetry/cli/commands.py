"""Every command of the command line, once: its word, its one-line help and the module
that runs it.  A new command is a module with ``run(argv, stdout, stderr) -> int`` and
a row here; the app's help and the unknown-command error read this table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One command: what the app's help says of it, and where it is run."""

    help: str
    module: str
    """Imported only when the command runs (``run(argv, stdout, stderr)``)."""


COMMANDS: dict[str, Command] = {
    "train": Command(
        "train headless and print a summary (see: tui-symmetry train --help)",
        "tui_symmetry.cli.train"),
    "compare": Command(
        "train two runs side by side, match their units (tui-symmetry compare --help)",
        "tui_symmetry.cli.compare"),
    "scenarios": Command(
        "list the built-in scenarios of a lecture (open one: --scenario NAME)",
        "tui_symmetry.cli.scenarios"),
    "serve": Command(
        "serve the app to a web browser (see: tui-symmetry serve --help)",
        "tui_symmetry.cli.serve"),
    "experiment": Command(
        "run an experiment: many seeds, the barrier, ... (tui-symmetry experiment --help)",
        "tui_symmetry.cli.experiment"),
    "sweep": Command(
        "train a grid of runs in parallel (see: tui-symmetry sweep --help)",
        "tui_symmetry.cli.sweep"),
}
"""Every command, in the order the help lists them."""

APP = "tui_symmetry.cli.app"
"""The module run without a command word: the app."""
