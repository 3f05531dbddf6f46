"""Files: nothing a user has is destroyed, a bad file is one line, and the app's file
names never overwrite silently (docs/contracts.md, "Files").

Destructive cases live in ``tmp_path``.  A real device is only ever reached through a
symlink in ``tmp_path`` (so code that wrongly wrote would replace the link, never the
device) or handed to a function that only looks at it.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import resource
import socket
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_CONFIG, Drive, MakeApp, process_env, wait_until
from textual.pilot import Pilot

from tui_symmetry import cli, export, settings
from tui_symmetry.app.controller import Notice
from tui_symmetry.app.share import export_notice
from tui_symmetry.cli import errors, output, sweep
from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments import sweep as experiment

DOCUMENT = {"format": "tui-symmetry-run", "step": 3}


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def listing(directory: Path) -> dict[str, int]:
    """Every name in ``directory`` with its file type (lstat: links are not followed)."""
    return {p.name: stat.S_IFMT(os.lstat(p).st_mode) for p in directory.iterdir()}


def special(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A path of ``kind`` in tmp_path, and what the refusal says about it."""
    path = tmp_path / "run.json"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "it is a FIFO (named pipe), not a regular file"
    if kind == "directory":
        path.mkdir()
        return path, "it is a directory, not a regular file"
    if kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()  # the socket file stays
        return path, "it is a socket, not a regular file"
    if kind == "link to a fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to("pipe")
        return path, f"it leads to {tmp_path / 'pipe'}, a FIFO (named pipe), not a regular file"
    if kind == "link to a device":
        path.symlink_to(os.devnull)
        return path, f"it leads to {os.devnull}, a character device, not a regular file"
    if kind == "link loop":
        path.symlink_to("other.json")
        (tmp_path / "other.json").symlink_to("run.json")
        return path, "it is a loop of symbolic links"
    raise AssertionError(kind)


SPECIAL = ["fifo", "directory", "socket", "link to a fifo", "link to a device", "link loop"]


# -- where a write goes ----------------------------------------------------------------------


def test_a_symlink_is_written_through_and_stays_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "run.json"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to("runs/run.json")  # relative, as `ln -s` makes them
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any) -> None:
        renames.append((os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    export.write_json_atomic(link, DOCUMENT)
    assert os.readlink(link) == "runs/run.json"
    assert json.loads(target.read_text()) == DOCUMENT
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the target keeps its mode
    # The temp file was made beside the target (a rename is atomic only there).
    [(src, dst)] = renames
    assert (os.path.dirname(src), dst) == (str(tmp_path / "runs"), str(target))
    assert listing(tmp_path / "runs") == {"run.json": stat.S_IFREG}


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "next.json"
    link.symlink_to(tmp_path / "new.json")
    export.write_json_atomic(link, DOCUMENT)
    assert link.is_symlink()
    assert json.loads((tmp_path / "new.json").read_text()) == DOCUMENT


@pytest.mark.parametrize("kind", SPECIAL)
def test_anything_but_a_regular_file_is_refused_before_a_byte_is_written(
    kind: str, tmp_path: Path,
) -> None:
    path, why = special(kind, tmp_path)
    before = listing(tmp_path)
    with pytest.raises(export.CannotWrite) as error:
        export.write_json_atomic(path, DOCUMENT)
    assert str(error.value) == f"cannot write {path}: {why}"
    assert listing(tmp_path) == before


def test_a_name_ending_in_a_slash_is_not_made_a_file(tmp_path: Path) -> None:
    with pytest.raises(export.CannotWrite, match="a name ending in a slash is a directory's"):
        export.write_json_atomic(f"{tmp_path}/out/", DOCUMENT)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("path", "kind"), [
    (os.devnull, "a character device"),
    ("/dev/full", "a character device"),
    ("/", "a directory"),
])
def test_real_devices_and_directories_are_refused_by_looking_only(path: str, kind: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    with pytest.raises(export.CannotWrite, match=re.escape(f"it is {kind}, not a regular file")):
        export.write_target(path)


def test_a_pipe_behind_a_proc_link_is_refused_as_a_pipe() -> None:
    # /dev/stdout leads through /proc/self/fd/1 to "pipe:[N]", which is no path:
    # realpath gave /proc/PID/fd/pipe:[N], and the refusal said that the directory
    # /proc/PID/fd does not exist.
    read, write = os.pipe()
    try:
        with pytest.raises(export.CannotWrite) as error:
            export.write_target(f"/proc/self/fd/{write}")
    finally:
        os.close(read)
        os.close(write)
    assert error.value.reason.endswith("a FIFO (named pipe), not a regular file")
    assert "does not exist" not in str(error.value)


def test_an_empty_name_is_refused_as_empty() -> None:
    # realpath('') is the working directory: it was refused as "a directory".
    with pytest.raises(export.CannotWrite) as error:
        export.write_target("")
    assert str(error.value) == "cannot write '': the file name is empty"


@pytest.mark.parametrize(("code", "why"), [
    (errno.EROFS, "the directory {dir} is read-only"),
    (errno.EACCES, "no permission to write in {dir}"),
    (errno.ENOSPC, "the disk is full"),
    (errno.EDQUOT, "the disk quota is used up"),
    (errno.EIO, "input/output error"),
])
def test_os_errors_read_as_words_not_errno_numbers(
    code: int, why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_open = os.open

    def failing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)
    target = tmp_path / "run.json"
    with pytest.raises(export.CannotWrite) as error:
        export.write_json_atomic(target, DOCUMENT)
    assert str(error.value) == f"cannot write {target}: {why.format(dir=tmp_path)}"
    assert error.value.errno == code
    assert "Errno" not in str(error.value)


# -- train --export ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "link to a device", "directory"])
def test_train_refuses_a_special_export_before_training(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, why = special(kind, tmp_path)
    before = listing(tmp_path)

    def must_not_train(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("trained before refusing the export")

    monkeypatch.setattr(Trainer, "step", must_not_train)
    code, out, err = run_main(capsys, ["train", "--steps", "5", "--json", "--export", str(path)])
    assert (code, out) == (1, "")
    assert err == f"tui-symmetry: error: cannot write {path}: {why}\n"
    assert listing(tmp_path) == before


def test_train_exports_through_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    link = tmp_path / "run.json"
    link.symlink_to("kept.json")
    (tmp_path / "kept.json").write_text("old\n")
    code, _, err = run_main(capsys, ["train", "--steps", "5", "--export", str(link)])
    assert (code, err) == (0, "")
    assert link.is_symlink()
    assert json.loads((tmp_path / "kept.json").read_text())["step"] == 5


def make_read_only(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating a file in ``directory`` fails as on a read-only file system (root
    ignores permission bits, so chmod cannot show it)."""
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and os.path.dirname(os.fspath(path)) == str(directory):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)


def test_a_read_only_directory_is_one_human_line_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_read_only(tmp_path, monkeypatch)
    steps: list[int] = []
    real_step = Trainer.step
    monkeypatch.setattr(Trainer, "step", lambda self, n=1: steps.append(n) or real_step(self, n))
    target = tmp_path / "run.json"
    code, out, err = run_main(capsys, ["train", "--steps", "5", "--export", str(target)])
    assert (code, out, steps) == (1, "", [])
    assert err == (f"tui-symmetry: error: cannot write {target}: "
                   f"the directory {tmp_path} is read-only\n")


class FullStream(io.StringIO):
    """A stdout on a full disk: every write fails as /dev/full's would."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


FULL = "tui-symmetry: error: cannot write the output: the disk is full\n"


@pytest.mark.parametrize("argv", [
    ["train", "--steps", "3", "--samples", "40"],
    ["train", "--steps", "3", "--samples", "40", "--json"],
    ["compare", "--steps", "3", "--samples", "40", "--b", "--init xavier"],
    ["scenarios"],
])
def test_output_that_cannot_be_written_is_one_line_and_exit_1(
    argv: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stdout", FullStream())
    monkeypatch.setattr(sys, "stderr", errors)
    assert cli.main(argv) == 1
    assert errors.getvalue() == FULL


@pytest.mark.parametrize("form", [[], ["--csv"], ["--json"]])
def test_sweep_output_that_cannot_be_written_is_a_runtime_failure(form: list[str]) -> None:
    argv = ["--vary", "seed=0,1", "--steps", "3", "--samples", "40", *form]
    with pytest.raises(errors.RuntimeFailure) as error:
        sweep.run(argv, FullStream(), io.StringIO(),
                                executor_factory=lambda jobs, _: ThreadPoolExecutor(jobs))
    assert f"tui-symmetry: error: {error.value}\n" == FULL


def test_a_full_stdout_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    """A file size limit makes writing stdout's file fail (EFBIG) as a full disk would,
    without a real device: one line, exit 1, and no complaint at the final flush."""

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    with open(tmp_path / "out.txt", "w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "tui_symmetry", "train", "--steps", "3", "--samples", "40"],
            cwd=tmp_path, env=process_env(), stdout=out, stderr=subprocess.PIPE, text=True,
            timeout=60, check=False, preexec_fn=small_files,
        )
    assert proc.stderr == ("tui-symmetry: error: cannot write the output: the file would "
                           "grow past the largest size allowed\n")
    assert proc.returncode == 1


# -- --config FILE -------------------------------------------------------------------------------


def test_a_fifo_config_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "run.toml")
    # A real process: the old code blocked in open() for ever, so this must be killable.
    proc = subprocess.run(
        [sys.executable, "-m", "tui_symmetry", "train", "--steps", "1", "--config", "run.toml"],
        cwd=tmp_path, env=process_env(), capture_output=True, text=True, timeout=30,
        check=False, stdin=subprocess.DEVNULL,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("tui-symmetry: error: config run.toml: it is a FIFO (named pipe), "
                           "not a regular file\n")


@pytest.mark.parametrize(("make", "why"), [
    (lambda p: p.mkdir(), "it is a directory, not a regular file"),
    (lambda p: p.symlink_to(os.devnull),
     f"it leads to {os.devnull}, a character device, not a regular file"),
])
def test_a_config_that_is_not_a_regular_file_is_refused(make: Any, why: str,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    make(path)
    with pytest.raises(settings.SettingsFileError) as error:
        settings.read_settings_file(str(path))
    assert str(error.value) == f"config {path}: {why}"


@pytest.mark.parametrize(("name", "text"), [
    ("run.toml", '\ufeffhidden = 4\ninit = "xavier"\n'),
    ("run.json", '\ufeff{"hidden": 4, "init": "xavier"}'),
])
def test_a_byte_order_mark_is_read_past(name: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert settings.read_settings_file(str(path)) == {"hidden": 4, "init": "xavier"}


@pytest.mark.parametrize("name", ["run.toml", "run.json"])
@pytest.mark.parametrize("text", ["", " \n\n", "\ufeff"])
def test_an_empty_config_is_one_rule_for_toml_and_json(name: str, text: str,
                                                       tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(settings.SettingsFileError) as error:
        settings.read_settings_file(str(path))
    assert str(error.value) == (f"config {path}: the file is empty (a file of the defaults "
                                "holds {} in JSON, or a comment in TOML)")


@pytest.mark.parametrize(("name", "text"), [
    ("run.json", "[" * 100_000 + "]" * 100_000),
    ("run.toml", "hidden = " + "[" * 100_000 + "]" * 100_000),
])
def test_a_config_nested_too_deeply_is_one_line(name: str, text: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # The parsers recurse once per level: a RecursionError was a traceback, exit 1.
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run_main(capsys, ["train", "--steps", "1", "--config", str(path)])
    assert (code, out) == (2, "")
    kind = name.split(".")[1].upper()
    assert err == f"tui-symmetry: error: config {path}: invalid {kind}: nested too deeply\n"


@pytest.mark.parametrize(("name", "text"), [("run.toml", "# all defaults\n"),
                                            ("run.json", "{}\n")])
def test_a_config_that_sets_nothing_means_the_defaults(name: str, text: str,
                                                       tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert settings.read_settings_file(str(path)) == {}


# -- sweep -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "which"), [
    ("lr=0.1,,0.2", "value 2 of 3 is empty"),
    ("lr=0.1,0.2,", "value 3 of 3 is empty"),
    ("lr=,0.1", "value 1 of 2 is empty"),
    ("lr= , 0.1", "value 1 of 2 is empty"),
])
def test_an_empty_vary_value_is_an_error_naming_it(text: str, which: str) -> None:
    with pytest.raises(errors.UsageError) as error:
        sweep.parse_vary(text)
    assert str(error.value) == f"--vary {text!r}: {which}"


class Started(Exception):
    """Raised by a stand-in executor: the grid was about to run."""


def starting(*args: Any) -> Any:
    raise Started


@pytest.mark.parametrize(("grid", "count"), [
    (["--vary", "seed=" + ",".join(map(str, range(1001))), "--steps", "10"],
     "1,001 runs of 10 steps (10,010 steps in all"),
    (["--vary", "seed=0,1", "--steps", "20000000"],
     "2 runs of 20,000,000 steps (40,000,000 steps in all"),
])
def test_a_large_grid_asks_for_yes_with_its_size_and_an_estimate(
    grid: list[str], count: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    trials: list[tuple[Config, int]] = []

    def trial(config: Config, steps: int) -> tuple[float, float]:
        trials.append((config, steps))
        return 0.5, 1e-4  # seconds a run costs besides its steps, seconds per step

    monkeypatch.setattr(experiment, "trial_run", trial)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(errors.UsageError) as error:
        sweep.run([*grid, "--jobs", "2"], out, err, executor_factory=starting)
    message = str(error.value)
    assert message.startswith(f"the grid has {count}; about ")
    runs, steps = (1001, 10) if "1,001" in count else (2, 20_000_000)
    seconds = runs * (0.5 + steps * 1e-4) / 2
    assert sweep.duration_text(seconds) in message
    assert message.endswith("with 2 jobs, judging by a trial run here); "
                            "add --yes to run it")
    assert trials == [(Config(seed=0), steps)]  # one trial, of the grid's first run
    assert (out.getvalue(), err.getvalue()) == ("", "")
    with pytest.raises(Started):  # --yes: the same grid runs
        sweep.run([*grid, "--jobs", "2", "--yes"], out, err,
                                executor_factory=starting)


def test_a_grid_below_the_limits_runs_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiment, "trial_run", lambda *args: pytest.fail("no trial needed"))
    argv = ["--vary", "seed=" + ",".join(map(str, range(sweep.CONFIRM_RUNS))), "--steps",
            str(sweep.CONFIRM_STEPS // sweep.CONFIRM_RUNS)]
    with pytest.raises(Started):
        sweep.run(argv, io.StringIO(), io.StringIO(), executor_factory=starting)


@pytest.mark.parametrize(("seconds", "text"), [
    (0.2, "1 s"), (44.6, "45 s"), (89, "89 s"), (90, "2 min"), (3000, "50 min"),
    (5399, "90 min"), (5400, "1.5 h"), (36000, "10.0 h"),
])
def test_durations_read_in_the_unit_that_suits_them(seconds: float, text: str) -> None:
    assert sweep.duration_text(seconds) == text


# -- compare: the report fits the terminal ----------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


COMPARE = ["compare", "--a", "--init symmetric --epsilon 0", "--b", "--init xavier",
           "--samples", "40", "--hidden", "4", "--steps", "30"]


def words(text: str) -> list[str]:
    return sorted(text.split())


@pytest.mark.parametrize("columns", [80, 60])
def test_compare_fits_the_terminal_and_cuts_no_number(
    columns: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert cli.main(COMPARE) == 0
    report = sys.stdout.getvalue()
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal
    assert cli.main(COMPARE) == 0
    stable = sys.stdout.getvalue()
    assert max(map(len, stable.splitlines())) > 100  # the rows do not fit 80 columns
    assert max(map(len, report.splitlines())) <= columns
    # Wrapped between words, never inside one (the measured speed aside).
    assert words(without_speed(report)) == words(without_speed(stable))
    lines = report.splitlines()
    table = lines[:lines.index("")]
    b_column = table[0].index("B")
    for line in table[1:]:
        # Nothing of A runs into B's column, and a wrapped cell goes on in its own.
        assert len(line) < b_column - 1 or line[b_column - 2:b_column] == "  ", line
    one_unit = next(i for i, line in enumerate(table) if line.startswith("one-unit loss"))
    assert table[one_unit + 1].startswith(" " * len("one-unit loss"))


def without_speed(report: str) -> str:
    return "\n".join(line for line in report.splitlines() if not line.startswith("speed"))


def test_compare_off_a_terminal_prints_one_row_per_line(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """The stable format for scripts: one row a line, whatever COLUMNS says."""
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert output.report_width(sys.stdout) is None
    assert cli.main(COMPARE) == 0
    lines = sys.stdout.getvalue().splitlines()
    assert [i for i, line in enumerate(lines) if line.startswith(" ")] == [0]  # the header
    assert output.report_width(Terminal()) == 40


# -- the app: names that never overwrite -------------------------------------------------------


def test_f12_never_overwrites_a_picture(tmp_path: Path, make_app: MakeApp,
                                        drive: Drive) -> None:
    """Two views at one step: two names; one view twice: the second gets -2."""
    app = make_app(save_dir=tmp_path)
    stem = "tui-symmetry-xor-h6-seed1-step100"

    async def script(pilot: Pilot) -> None:
        await pilot.press("S", "f12")
        assert app.notice == f"screenshot {tmp_path / f'{stem}-all.svg'}"
        first = (tmp_path / f"{stem}-all.svg").read_text()
        await pilot.press("4", "f12")
        assert app.notice == f"screenshot {tmp_path / f'{stem}-units.svg'}"
        await pilot.press("0", "o", "f12")  # the same step and view, another picture
        assert app.notice == f"screenshot {tmp_path / f'{stem}-all-2.svg'}"
        assert (tmp_path / f"{stem}-all.svg").read_text() == first

    drive(app, script)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{stem}-all-2.svg", f"{stem}-all.svg", f"{stem}-units.svg"]
    assert all(p.read_text().startswith("<svg") for p in tmp_path.iterdir())


def test_w_never_overwrites_other_settings(tmp_path: Path, make_app: MakeApp,
                                           drive: Drive) -> None:
    app = make_app(save_dir=tmp_path)
    base = tmp_path / "tui-symmetry-xor-h6-seed1.config.toml"

    async def script(pilot: Pilot) -> None:
        await pilot.press("w")
        assert app.notice == f"saved {base}"
        await pilot.press("w")  # the same settings: nothing new to keep
        assert app.notice == f"already saved: {base}"
        await pilot.press("plus", "w")
        assert app.notice == f"saved {tmp_path / 'tui-symmetry-xor-h6-seed1-2.config.toml'}"

    drive(app, script)
    first = settings.read_settings_file(str(base))
    second = settings.read_settings_file(str(tmp_path / "tui-symmetry-xor-h6-seed1-2.config.toml"))
    assert first["lr"] == TEST_CONFIG.lr != second["lr"]
    assert len(list(tmp_path.iterdir())) == 2


def test_e_names_the_settings_and_never_overwrites(tmp_path: Path, make_app: MakeApp,
                                                   drive: Drive) -> None:
    app = make_app(save_dir=tmp_path)
    base = tmp_path / "tui-symmetry-xor-h6-seed1-step100.json"
    other = tmp_path / "tui-symmetry-xor-h6-seed1-step100-2.json"

    async def export(pilot: Pilot, expected: str) -> None:
        app.messages.clear()
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: app.last_message == expected)

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await export(pilot, f"exported {base}")
        await export(pilot, f"already exported: {base}")
        await pilot.press("plus")  # a live change at the same step: another document
        await export(pilot, f"exported {other}")

    drive(app, script)
    assert "config_changes" not in json.loads(base.read_text())
    assert json.loads(other.read_text())["config_changes"]


def test_a_fifo_squatting_a_name_is_left_alone(tmp_path: Path, make_app: MakeApp,
                                               drive: Drive) -> None:
    squatter = tmp_path / "tui-symmetry-xor-h6-seed1.config.toml"
    os.mkfifo(squatter)
    app = make_app(save_dir=tmp_path)

    async def script(pilot: Pilot) -> None:
        await pilot.press("w")

    drive(app, script)
    assert stat.S_ISFIFO(os.lstat(squatter).st_mode)
    assert app.last_message == f"saved {tmp_path / 'tui-symmetry-xor-h6-seed1-2.config.toml'}"


def test_a_read_only_save_directory_is_a_human_notice(
    tmp_path: Path, make_app: MakeApp, drive: Drive, monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_read_only(tmp_path, monkeypatch)
    app = make_app(save_dir=tmp_path)

    async def script(pilot: Pilot) -> None:
        await pilot.press("w", "f12", "e")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: len(app.errors) == 3)
        await pilot.press("s")
        assert app.snapshot.step == 1  # the app stays up

    drive(app, script)
    why = f"the directory {tmp_path} is read-only"
    assert app.errors == [f"config not saved: {why}", f"screenshot not saved: {why}",
                          f"export not saved: {why}"]
    assert list(tmp_path.iterdir()) == []


def test_two_saves_of_one_document_at_once_make_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two quick presses of e export in two threads: the second may look at the name
    # just before the first one's file lands there, then find it taken when it writes.
    # The file holds exactly its document, so that is the save: no '-2' copy.
    text = json.dumps(DOCUMENT)
    first = tmp_path / "run.json"
    first.write_text(text)
    looked = []
    real_lexists = os.path.lexists

    def not_yet(path: Any) -> bool:
        looked.append(Path(path))
        return False if len(looked) == 1 else real_lexists(path)

    monkeypatch.setattr(export.os.path, "lexists", not_yet)
    assert export.write_new_file(tmp_path, "run", ".json", text) == (first, False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_e_says_where_the_export_went_or_why_it_failed(tmp_path: Path) -> None:
    trainer = Trainer(TEST_CONFIG)
    trainer.step(3)
    notice = export_notice(tmp_path, lambda: export.run_document(trainer), None)
    (written,) = tmp_path.iterdir()
    assert notice == Notice(f"exported {written}")
    assert json.loads(written.read_text())["step"] == 3

    def busy() -> dict[str, Any]:
        raise TimeoutError("the training process did not answer")

    # The runner's export fails: one error line, no file, nothing raised in the worker.
    assert export_notice(tmp_path, busy, None) == Notice(
        "export failed: the training process did not answer", "error")
    assert list(tmp_path.iterdir()) == [written]
