"""``tui-symmetry serve``: the app served to web browsers, its options checked here."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry.cli.errors import ExitCode, RuntimeFailure
from tui_symmetry.cli.parsing import (
    Parser,
    add_app_options,
    add_run_options,
    app_options,
    build_config,
    coerce_option,
)
from tui_symmetry.core.config import FIELDS
from tui_symmetry.serve import DEFAULT_HOST, DEFAULT_PORT, PORT
from tui_symmetry.settings import PROG

SERVE_DESCRIPTION = (
    "Serve the app to a web browser (textual-serve): every tab that opens the page runs\n"
    "its own app with the options given here.  Listens on loopback unless --host says\n"
    "otherwise; on any other address, whoever reaches the page runs the app here."
)


SERVE_EPILOG = (
    "examples:\n"
    "  tui-symmetry serve                                  # http://127.0.0.1:8000\n"
    "  tui-symmetry serve --port 8080 --scenario random-breaks\n"
)


def build_serve_parser() -> Parser:
    """The parser for ``tui-symmetry serve``: --host, --port and every app option."""
    parser = Parser.command(
        "serve",
        usage=f"{PROG} serve [--host HOST] [--port N] [OPTIONS]",
        description=SERVE_DESCRIPTION,
        epilog=SERVE_EPILOG,
    )
    web = parser.add_argument_group("server")
    web.add_argument("--host", default=DEFAULT_HOST, metavar="HOST",
                     help=f"address to listen on (default: {DEFAULT_HOST}, loopback only)")
    web.add_argument("--port", default=str(DEFAULT_PORT), metavar="N",
                     help=f"{PORT.help}; {PORT.describe_range()} (default: {DEFAULT_PORT})")
    parser.ranges["--host"] = "an address or host name"
    parser.ranges["--port"] = PORT.describe_range()
    add_run_options(parser)
    add_app_options(parser)
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """``tui-symmetry serve``: check the app options here, then serve until Ctrl+C."""
    args = build_serve_parser().parse_args(argv)
    port = coerce_option(PORT, args.port)
    # Every tab runs the app with these options: a bad one is reported now, once,
    # not as a page that closes again.
    build_config(args)
    app_options(args)
    from tui_symmetry.serve import ServeError, serve

    try:
        serve(args.host, port, served_app_args(args), stderr)
    except ServeError as exc:
        raise RuntimeFailure(str(exc)) from None
    return ExitCode.OK


def served_app_args(args: argparse.Namespace) -> list[str]:
    """The app options of a parsed ``serve`` command line, as words for the served app.

    Written ``--opt=value``, so a value starting with a dash stays a value; the config
    file's path made absolute, so it does not depend on where the app is started.
    """
    given = vars(args)
    words = []
    if args.scenario is not None:
        words.append(f"--scenario={args.scenario}")
    if args.config is not None:
        words.append(f"--config={os.path.abspath(args.config)}")
    words.extend(f"{spec.flag}={given[spec.name]}" for spec in FIELDS if spec.name in given)
    if args.fps is not None:
        words.append(f"--fps={args.fps}")
    if args.speed is not None:
        words.append(f"--speed={args.speed}")
    if args.present:
        words.append("--present")
    if args.view is not None:
        words.append(f"--view={args.view}")
    return words
