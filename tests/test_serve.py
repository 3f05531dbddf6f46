"""``tui-symmetry serve`` without a browser: its options, the command it serves, the
loopback rule and its failures.  The browser itself is tests/test_browser.py.

A server that starts is only ever started in a child process (it installs signal
handlers and logging for its whole process); the ones started here fail to bind, on
purpose, so nothing listens and no test waits for a server.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import process_env

from tui_symmetry import cli
from tui_symmetry.cli import app as cli_app
from tui_symmetry.cli import parsing
from tui_symmetry.cli import serve as cli_serve
from tui_symmetry.core.config import Config
from tui_symmetry.serve import (
    WEB_DRIVER,
    app_command,
    exposure_warning,
    is_loopback,
    public_url,
)


def run_serve(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui_symmetry", "serve", *args], cwd=cwd,
                          env=process_env(), capture_output=True, text=True, timeout=60,
                          check=False, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LocalHost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("10.0.0.1", False),
    ("lecture-hall.example", False),
])
def test_loopback_is_recognised(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    warning = exposure_warning(host, 8000)
    assert (warning is None) is loopback
    if warning is not None:
        assert "\n" not in warning and f"{host}:8000" in warning


def test_public_url_brackets_ipv6() -> None:
    assert public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert public_url("::1", 8080) == "http://[::1]:8080"


def test_app_command_quotes_every_word() -> None:
    words = ["--config=/tmp/my runs/$(rm -rf ~); x.toml", "--lr=-1", "--scenario=zero-stuck"]
    command = app_command(words)
    assert shlex.split(command) == [sys.executable, "-m", "tui_symmetry", *words]


def test_served_app_gets_the_options_as_typed(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lecture.toml").write_text("hidden = 4\n")
    argv = ["--host", "127.0.0.2", "--port", "9000", "--scenario", "tie-collapses",
            "--config", "lecture.toml", "--epsilon", "-0", "--lr=0.05", "--fps", "10",
            "--speed", "full"]
    words = cli_serve.served_app_args(cli_serve.build_serve_parser().parse_args(argv))
    assert words == ["--scenario=tie-collapses", f"--config={tmp_path / 'lecture.toml'}",
                     "--epsilon=-0", "--lr=0.05", "--fps=10", "--speed=full"]
    # The served app builds from those words what serve checked.
    served = cli_app.build_app_parser().parse_args(words)
    given = cli_serve.build_serve_parser().parse_args(argv)
    assert parsing.build_config(served) == parsing.build_config(given)
    assert parsing.build_config(served) == Config().replace(
        **{**parsing.find_scenario("tie-collapses").changes(), "hidden": 4, "lr": 0.05})
    assert parsing.app_options(served) == parsing.app_options(given) == (10.0, None)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--port", "0"], "port: '0' is out of range; use an integer in [1, 65535]"),
    (["--port", "65536"], "an integer in [1, 65535]"),
    (["--port", "http"], "'http' is not an integer in [1, 65535]"),
    (["--port"], "--port: expected one argument (an integer in [1, 65535])"),
    (["--host"], "--host: expected one argument (an address or host name)"),
    (["--lr", "0"], "lr: '0' is out of range"),
    (["--fps", "100"], "fps: '100' is out of range"),
    (["--steps", "5"], "unrecognized arguments: --steps"),
])
def test_bad_serve_options_are_one_line_before_any_server(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_server(*args: object, **kwargs: object) -> None:
        pytest.fail("no server may start")

    monkeypatch.setattr("tui_symmetry.serve.serve", no_server)
    assert cli.main(["serve", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("tui-symmetry: error: ") and err.count("\n") == 1
    assert fragment in err


def test_serve_help_lists_server_and_app_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--scenario", "--fps", "--speed", "--lr"):
        assert option in out


def test_serve_hands_over_host_port_and_app_words(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr("tui_symmetry.serve.serve",
                        lambda host, port, words, stderr: calls.append((host, port, words)))
    assert cli.main(["serve", "--scenario", "sine-basis"]) == 0
    assert cli.main(["serve", "--host", "::1", "--port", "8123", "--hidden", "3"]) == 0
    assert calls == [("127.0.0.1", 8000, ["--scenario=sine-basis"]),
                     ("::1", 8123, ["--hidden=3"])]


def test_port_in_use_is_one_line_and_status_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(["--port", str(port)], tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == (f"tui-symmetry: error: cannot serve on 127.0.0.1:{port}: "
                             "Address already in use\n")


def test_other_address_warns_then_fails_to_bind_here(tmp_path: Path) -> None:
    # 192.0.2.1 is reserved for documentation (RFC 5737): no machine has it, so the
    # bind fails at once and nothing is ever sent anywhere.
    result = run_serve(["--host", "192.0.2.1", "--port", "8000"], tmp_path)
    assert result.returncode == 1
    warning, error = result.stderr.splitlines()
    assert warning.startswith("tui-symmetry: warning: serving on 192.0.2.1:8000, not loopback")
    assert error == ("tui-symmetry: error: cannot serve on 192.0.2.1:8000: "
                     "Cannot assign requested address")


@pytest.mark.parametrize(("driver", "starts"), [(WEB_DRIVER, True), (None, False),
                                                ("textual.drivers.linux_driver:x", False)])
def test_the_app_needs_a_terminal_unless_served(
    driver: str | None, starts: bool, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = []
    module = types.ModuleType("tui_symmetry.app")
    module.run_app = lambda config, **kwargs: started.append(config) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", module)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: False)
    if driver is None:
        monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    else:
        monkeypatch.setenv("TEXTUAL_DRIVER", driver)
    code = cli.main(["--scenario", "zero-stuck"])
    if starts:
        assert code == 0 and started == [parsing.find_scenario("zero-stuck").config]
    else:
        assert code == 2 and started == []
        assert "needs an interactive terminal" in capsys.readouterr().err
