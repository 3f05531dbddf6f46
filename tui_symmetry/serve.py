"""``tui-symmetry serve``: the app in a web browser, for projecting it in a lecture hall.

textual-serve runs a small web server; every browser tab that opens its page gets its
own ``python -m tui_symmetry [app options]`` process, drawn by xterm.js in the page.
The server listens on loopback unless told otherwise: whoever reaches the page runs
the app on this machine, so another address gets a warning (docs/contracts.md).

Nothing here imports textual-serve at module level: the command line imports this
module for :func:`served_by_web_driver` on every start of the app.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from collections.abc import Sequence
from typing import TextIO

from tui_symmetry.core.config import FieldSpec
from tui_symmetry.settings import PROG

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT = FieldSpec("port", int, "TCP port to listen on", "serve", low=1, high=65535)

PAGE_TITLE = PROG

# textual-serve starts each app with this driver in the environment; the app then talks
# to the browser over its stdin and stdout, which are pipes, not a terminal.
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


def served_by_web_driver() -> bool:
    """True inside an app process that textual-serve started for a browser tab."""
    return os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and every loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The one-line warning for a non-loopback address, None for loopback."""
    if is_loopback(host):
        return None
    return (f"serving on {host}:{port}, not loopback: anyone who can reach this "
            "address can open the page and run the app on this machine")


def app_command(app_args: Sequence[str]) -> str:
    """The shell command textual-serve runs per browser tab, every word quoted.

    textual-serve hands it to a shell, so each argument is quoted: a config path or a
    value with spaces or shell characters arrives as one word, never as shell syntax.
    The same interpreter as this process, so the served app is this installation.
    """
    return shlex.join([sys.executable, "-m", "tui_symmetry", *app_args])


def public_url(host: str, port: int) -> str:
    """The address the page is at (and builds its websocket address from)."""
    if ":" in host:  # an IPv6 literal goes in brackets
        host = f"[{host}]"
    return f"http://{host}:{port}"


class ServeError(Exception):
    """The server could not start (address in use, unknown host, package missing)."""


def serve(host: str, port: int, app_args: Sequence[str], stderr: TextIO) -> None:
    """Serve the app with ``app_args`` until interrupted (Ctrl+C or SIGTERM).

    Raises ServeError, one line, when the server cannot start.
    """
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        raise ServeError(f"serve needs the textual-serve package ({exc}); "
                         "install it with: pip install textual-serve") from None
    warning = exposure_warning(host, port)
    if warning is not None:
        stderr.write(f"{PROG}: warning: {warning}\n")
        stderr.flush()
    bind = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    server = Server(app_command(app_args), host=bind, port=port, title=PAGE_TITLE,
                    public_url=public_url(bind, port))
    try:
        server.serve()
    except OSError as exc:  # address in use, cannot bind, host does not resolve
        # aiohttp words a failed bind at length; the system's own reason is enough.
        reason = os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)
        raise ServeError(f"cannot serve on {host}:{port}: {reason}") from None


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "PORT", "ServeError", "app_command",
           "exposure_warning", "is_loopback", "public_url", "serve", "served_by_web_driver"]
