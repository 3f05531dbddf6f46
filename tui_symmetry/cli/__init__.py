"""The command line: `tui-symmetry` opens the app (cli/app.py); `tui-symmetry WORD` runs
the command cli/commands.py's COMMANDS names (train, compare, scenarios, serve, sweep),
one module each.  A new command is a module in this package and a row in COMMANDS.
Nothing outside this package imports it but ``python -m tui_symmetry``.

The contract (options, exit status, output) is in docs/contracts.md, "Command line".

Every run option is generated from :data:`tui_symmetry.core.config.FIELDS`, so the flags,
their help and their validation can never drift from the app's controls.  Values stay
strings until ``FieldSpec.coerce`` checks them: its one-line ConfigError, naming the valid
range, is the error message the user sees.

Exit statuses and the one error line: cli/errors.py.
"""

from __future__ import annotations

import importlib
import sys
from typing import TextIO

from tui_symmetry.cli.commands import APP, COMMANDS
from tui_symmetry.cli.errors import (
    ExitCode,
    OutputFailure,
    RuntimeFailure,
    UsageError,
    fail,
    silence_stdout,
)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    try:
        return int(_run(args, stdout, stderr))
    except UsageError as exc:
        return fail(stderr, str(exc), ExitCode.USAGE)
    except OutputFailure as exc:
        silence_stdout()
        return fail(stderr, str(exc), ExitCode.RUNTIME)
    except RuntimeFailure as exc:
        return fail(stderr, str(exc), ExitCode.RUNTIME)
    except KeyboardInterrupt:
        return fail(stderr, "interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`... | head`): nothing left to say to anyone.
        silence_stdout()
        return int(ExitCode.RUNTIME)
    except SystemExit as exc:  # --help and --version print, then "exit" through argparse
        return exc.code if isinstance(exc.code, int) else int(ExitCode.OK)


def _run(args: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """The command ``args[0]`` names (COMMANDS), or the app, run on the words after it."""
    command = COMMANDS.get(args[0]) if args else None
    if command is None:
        return importlib.import_module(APP).run(args, stdout, stderr)
    return importlib.import_module(command.module).run(args[1:], stdout, stderr)
