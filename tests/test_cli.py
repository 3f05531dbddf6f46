"""The command line (docs/contracts.md, "Command line") and the atomic export writer.

Most tests call ``main()`` in-process (fast, capsys captures both streams); a few run
``python -m tui_symmetry`` for real, because only a real process shows what a user sees:
exit codes, a traceback the interpreter prints, stray warnings.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
import sys
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CHECKOUT, process_env, processes_in_session

import tui_symmetry
from tui_symmetry import cli
from tui_symmetry.cli import app as cli_app
from tui_symmetry.cli import parsing, progress
from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import FIELDS, Config, FieldSpec
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments import headless
from tui_symmetry.export import (
    CannotWrite,
    dumps_document,
    run_document,
    write_json_atomic,
)
from tui_symmetry.settings import FPS, SPEED

SUMMARY_TYPES: dict[str, type | tuple[type, ...]] = {
    "config": dict,
    "step": int,
    "loss": float,
    "test_loss": float,
    "accuracy": float,
    "outputs": int,
    "classes": list,
    "confusion": list,
    "symmetry_index": float,
    "distinct_units": int,
    "dead_units": int,
    "max_unit_gap": float,
    "diverged": bool,
    # The honest numbers; None where not defined at that point of the run.
    "symmetry_chance": float,
    "similarity_measure": str,
    "constant_units": int,
    "inactive_units": int,
    "saddle_step": int,
    "spread": float,
    "saddle_curvature": float,
    "growth_rate": float,
    "efold_steps": float,
    "predicted_split_step": int,
    "predicted_split_range": list,
    "split_step": int,
    "splits": list,
    "merges": list,
    "not_yet_lasting": list,
    "unit_events": list,
    "lasting_steps": int,
    "one_unit_loss": float,
    "one_unit_source": str,
    "one_unit_weights_grow": bool,
    "one_unit_bound": str,
    "steps_per_s": float,
}

# A run that blows up within a few dozen steps (checked by test_diverging_run_*).
DIVERGING = ["--dataset", "sine", "--activation", "relu", "--init", "xavier", "--epsilon", "0",
             "--optimizer", "sgd", "--lr", "100"]


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str) -> str:
    assert err.startswith("tui-symmetry: error: "), err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


def run_process(args: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_symmetry", *args], cwd=cwd, env=process_env(),
        capture_output=True, text=True, timeout=60, check=False, **kwargs,
    )


# -- bad command lines -------------------------------------------------------------------

TRAIN = ["train", "--steps", "5"]

# (argv, exit status, a fragment the message must contain: the valid range where there
# is one).  "{tmp}" is replaced by a scratch directory holding the config files below.
BAD_COMMAND_LINES: list[tuple[list[str], int, str]] = [
    ([*TRAIN, "--hidden", "0"], 2, "an integer in [1, 256]"),
    ([*TRAIN, "--hidden", "257"], 2, "an integer in [1, 256]"),
    ([*TRAIN, "--hidden", "abc"], 2, "'abc' is not an integer in [1, 256]"),
    ([*TRAIN, "--hidden", "2.5"], 2, "an integer in [1, 256]"),
    ([*TRAIN, "--lr", "0"], 2, "a number in (0, 100]"),
    ([*TRAIN, "--lr", "-1"], 2, "a number in (0, 100]"),
    ([*TRAIN, "--lr", "nan"], 2, "not finite; use a number in (0, 100]"),
    ([*TRAIN, "--lr", "inf"], 2, "not finite"),
    ([*TRAIN, "--lr=-inf"], 2, "not finite"),
    ([*TRAIN, "--lr", "1e400"], 2, "not finite"),
    ([*TRAIN, "--lr", "-inf"], 2, "lr: '-inf' is not finite; use a number in (0, 100]"),
    ([*TRAIN, "--dataset", "foo"], 2, "one of xor, moons, circles, spiral, blobs, sine, linear"),
    ([*TRAIN, "--activation", "foo"], 2, "one of tanh, relu"),
    ([*TRAIN, "--init", "kaiming"], 2, "one of zeros, constant, symmetric"),
    ([*TRAIN, "--optimizer", "rmsprop"], 2, "one of sgd, momentum, adam"),
    ([*TRAIN, "--dropout", "1"], 2, "a number in [0, 0.95]"),
    ([*TRAIN, "--test-fraction", "0.95"], 2, "a number in [0, 0.9]"),
    ([*TRAIN, "--samples", "3"], 2, "an integer in [4, 100000]"),
    ([*TRAIN, "--samples", "4", "--test-fraction", "0.9"], 2, "need at least 2"),
    ([*TRAIN, "--seed", "-1"], 2, "an integer in [0, 4294967295]"),
    ([*TRAIN, "--seed", "4294967296"], 2, "an integer in [0, 4294967295]"),
    ([*TRAIN, "--momentum", "1"], 2, "a number in [0, 1)"),
    ([*TRAIN, "--batch-size", "-1"], 2, "an integer in [0, 100000]"),
    ([*TRAIN, "--noise", ""], 2, "a number in [0, 2]"),
    ([*TRAIN, "--bogus"], 2, "unrecognized arguments: --bogus"),
    ([*TRAIN, "stray"], 2, "unrecognized arguments: stray"),
    ([*TRAIN, "--hidden"], 2, "--hidden: expected one argument (an integer in [1, 256])"),
    ([*TRAIN, "--hidden", "--lr", "0.1"], 2, "--hidden: expected one argument"),
    ([*TRAIN, "--fps", "10"], 2, "unrecognized arguments: --fps"),
    (["train"], 2, "train needs --steps N (an integer in [1, 1000000000])"),
    (["train", "--json"], 2, "needs --steps"),
    (["train", "--steps", "0"], 2, "an integer in [1, 1000000000]"),
    (["train", "--steps", "x"], 2, "'x' is not an integer in [1, 1000000000]"),
    (["train", "--steps", "1e3"], 2, "an integer in [1, 1000000000]"),
    (["train", "--steps", "1000000001"], 2, "an integer in [1, 1000000000]"),
    (["train", "--steps"], 2, "--steps: expected one argument (an integer"),
    # A value that starts with a dash is a value, not an option.
    (["train", "--steps", "-5"], 2, "steps: '-5' is out of range; use an integer in [1, "),
    (["train", "--steps=-5"], 2, "steps: '-5' is out of range; use an integer in [1, "),
    (["train", "--steps", "-x"], 2, "steps: '-x' is not an integer in [1, 1000000000]"),
    ([*TRAIN, "--hidden", "-3"], 2, "hidden: '-3' is out of range; use an integer in [1, 256]"),
    ([*TRAIN, "--epsilon", "-1e-3"], 2, "epsilon: '-1e-3' is out of range; use a number in [0, "),
    ([*TRAIN, "--lr", "-.5"], 2, "lr: '-.5' is out of range; use a number in (0, 100]"),
    ([*TRAIN, "--seed=-1"], 2, "an integer in [0, 4294967295]"),
    # ... but an option is still an option: --hidden is missing its value here.
    ([*TRAIN, "--hidden", "-h"], 2, "--hidden: expected one argument (an integer in [1, 256])"),
    ([*TRAIN, "--hidden", "--bogus"], 2, "--hidden: expected one argument"),
    (["train", "--steps", "5", "--", "-5"], 2, "unrecognized arguments: -- -5"),
    ([*TRAIN, "--export"], 2, "--export: expected one argument"),
    ([*TRAIN, "--export", "{tmp}/missing/run.json"], 1, "cannot write {tmp}/missing/run.json"),
    ([*TRAIN, "--export", "{tmp}"], 1, "is a directory"),
    # The app path validates everything before the app is imported.
    (["--fps", "0"], 2, "fps: '0' is out of range; use a number in [1, 60]"),
    (["--fps", "61"], 2, "a number in [1, 60]"),
    (["--fps", "nan"], 2, "not finite"),
    (["--fps", "-2"], 2, "fps: '-2' is out of range; use a number in [1, 60]"),
    (["--seed", "-1"], 2, "seed: '-1' is out of range; use an integer in [0, 4294967295]"),
    (["--speed", "-5"], 2, "speed: '-5' is not a number in (0, 10000000] or 'full'"),
    (["--speed", "0"], 2, "speed: '0' is not a number in (0, 10000000] or 'full'"),
    (["--speed", "fast"], 2, "speed: 'fast' is not a number in (0, 10000000] or 'full'"),
    (["--speed"], 2, "--speed: expected one argument (a number in (0, 10000000] or 'full')"),
    ([*TRAIN, "--speed", "10"], 2, "unrecognized arguments: --speed"),
    (["--hidden", "0"], 2, "an integer in [1, 256]"),
    (["--steps", "5"], 2, "unrecognized arguments: --steps"),
    (["--json"], 2, "unrecognized arguments: --json"),
    (["trian"], 2, "unknown command 'trian'"),
    # Config files.
    ([*TRAIN, "--config", "{tmp}/nope.toml"], 2, "cannot read config {tmp}/nope.toml"),
    ([*TRAIN, "--config", "{tmp}/run.yaml"], 2, "use a .toml or .json file"),
    ([*TRAIN, "--config", "{tmp}/broken.toml"], 2, "invalid TOML"),
    ([*TRAIN, "--config", "{tmp}/broken.json"], 2, "invalid JSON"),
    ([*TRAIN, "--config", "{tmp}/unknown.toml"], 2, "unknown setting 'hiden'"),
    ([*TRAIN, "--config", "{tmp}/range.toml"], 2, "{tmp}/range.toml: hidden: 0 is out of range"),
    ([*TRAIN, "--config", "{tmp}/list.json"], 2, "expected a table of settings"),
    (["--config", "{tmp}/range.toml"], 2, "an integer in [1, 256]"),
]

CONFIG_FILES = {
    "run.yaml": "hidden: 4\n",
    "broken.toml": "hidden = = 4\n",
    "broken.json": '{"hidden": 4',
    "unknown.toml": "hiden = 4\n",
    "range.toml": "hidden = 0\n",
    "list.json": "[1, 2]",
}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    for name, text in CONFIG_FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "status", "fragment"),
    BAD_COMMAND_LINES,
    ids=[" ".join(argv) for argv, _, _ in BAD_COMMAND_LINES],
)
def test_bad_command_line_is_one_line_and_an_exit_status(
    argv: list[str], status: int, fragment: str, config_dir: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # If validation ever let a bad line through to the app, this fails loudly.
    fake_app = types.ModuleType("tui_symmetry.app")
    fake_app.run_app = lambda *args, **kwargs: pytest.fail("the app must not start")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", fake_app)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    tmp = str(config_dir)
    argv = [arg.replace("{tmp}", tmp) for arg in argv]
    code, out, err = run_main(capsys, argv)
    assert code == status
    assert out == ""
    assert fragment.replace("{tmp}", tmp) in assert_one_error_line(err)
    assert "usage:" not in err


NUMERIC_FIELDS = [spec for spec in FIELDS if spec.kind is not str]


@pytest.mark.parametrize("form", ["separate", "joined"])
@pytest.mark.parametrize("value", ["-1", "-1e-3", "-0.5"])
@pytest.mark.parametrize(
    ("command", "spec"),
    [*((["train", "--steps", "5"], spec) for spec in NUMERIC_FIELDS),
     (["train"], parsing.STEPS), ([], FPS), *(([], spec) for spec in NUMERIC_FIELDS)],
    ids=lambda x: x.flag if hasattr(x, "flag") else " ".join(x) or "app",
)
def test_every_option_given_a_negative_number_names_its_range(
    command: list[str], spec: FieldSpec, value: str, form: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every numeric option's range starts at 0 or above, so each of these is out of it."""
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", None)  # the app must not start
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    words = [spec.flag, value] if form == "separate" else [f"{spec.flag}={value}"]
    code, out, err = run_main(capsys, [*command, *words])
    assert (code, out) == (2, "")
    line = assert_one_error_line(err)
    assert f"{spec.name.replace('_', '-')}: {value!r} " in line
    assert spec.describe_range() in line


def test_negative_steps_in_a_real_process(tmp_path: Path) -> None:
    proc = run_process(["train", "--steps", "-5"], tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "tui-symmetry: error: steps: '-5' is out of range; use an integer in [1, 1000000000]\n"
    )


def test_bad_command_line_in_a_real_process(tmp_path: Path) -> None:
    proc = run_process(["train", "--steps", "5", "--hidden", "0"], tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "tui-symmetry: error: hidden: '0' is out of range; use an integer in [1, 256]\n"
    )


def test_unwritable_export_in_a_real_process(tmp_path: Path) -> None:
    proc = run_process(["train", "--steps", "5", "--export", "no/such/dir/run.json"], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert_one_error_line(proc.stderr)
    assert "cannot write no/such/dir/run.json" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_train_json_in_a_real_process_is_clean(tmp_path: Path) -> None:
    proc = run_process(["train", "--steps", "50", "--json", "--export", "run.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar, no numpy warnings, nothing
    assert proc.stdout.count("\n") == 1
    assert json.loads(proc.stdout)["step"] == 50
    assert json.loads((tmp_path / "run.json").read_text())["step"] == 50


# -- train: output ---------------------------------------------------------------------------


def check_summary(summary: dict[str, Any], config: Config, steps: int) -> None:
    assert list(summary) == list(SUMMARY_TYPES)
    assert summary["config"] == config.to_dict()
    assert list(summary["config"]) == [spec.name for spec in FIELDS]
    assert summary["step"] == steps
    for key, kind in SUMMARY_TYPES.items():
        value = summary[key]
        if value is None:
            assert key in ("test_loss", "accuracy", "confusion", "growth_rate", "efold_steps",
                           "predicted_split_step", "predicted_split_range",
                           "split_step"), key
            continue
        assert isinstance(value, kind), (key, value)
        if kind is int:
            assert not isinstance(value, bool), key
    assert summary["steps_per_s"] > 0
    assert 1 <= summary["distinct_units"] <= config.hidden
    assert 0.0 <= summary["symmetry_index"] <= 1.0


def test_train_json_has_every_key_with_its_type(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["train", "--steps", "120", "--hidden", "6", "--json"])
    assert code == 0 and err == ""
    summary = json.loads(out)
    check_summary(summary, Config(hidden=6), 120)
    assert isinstance(summary["test_loss"], float)
    assert 0.0 <= summary["accuracy"] <= 1.0


def test_train_json_nulls_for_regression_without_test_split(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["train", "--steps", "40", "--dataset", "sine", "--test-fraction", "0", "--json"]
    code, out, _ = run_main(capsys, argv)
    assert code == 0
    summary = json.loads(out)
    check_summary(summary, Config(dataset="sine", test_fraction=0), 40)
    assert summary["test_loss"] is None
    assert summary["accuracy"] is None

    code, out, _ = run_main(capsys, argv[:-1])  # the same run, for people
    assert code == 0
    assert "(test" not in out and "accuracy" not in out
    assert out.splitlines()[1].startswith("loss ")


def test_train_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    # Identical units stay identical: the summary must say so in words.
    argv = ["train", "--steps", "200", "--init", "symmetric", "--epsilon", "0", "--hidden", "5"]
    code, out, err = run_main(capsys, argv)
    assert code == 0 and err == ""
    lines = out.splitlines()
    labels = [line.split("  ")[0] for line in lines]
    assert labels == ["steps", "loss", "accuracy", "symmetry index", "similarity",
                      "distinct units", "splits", "dead units", "saddle", "one-unit loss",
                      "max unit gap", "diverged", "speed"]
    # Aligned: every value starts in the same column.
    assert len({len(line) - len(line[len(label):].lstrip()) for line, label
                in zip(lines, labels, strict=True)}) == 1
    rows = {label: line[len(label):].strip() for line, label in zip(lines, labels, strict=True)}
    assert rows["steps"] == "200"
    assert rows["max unit gap"] == "0.0  (bit-identical)"
    assert rows["distinct units"] == "1 / 5"
    # Chance: the expected index of the random start symmetric copies (xavier).
    chance = symmetry_chance(Config(init="symmetric", epsilon=0, hidden=5))
    assert rows["symmetry index"] == f"1.000  (chance {chance:.3f})"
    assert rows["diverged"] == "no"
    assert rows["speed"].endswith("steps/s")
    assert "(test " in rows["loss"]
    # The honest numbers, in words: no split, the saddle is there but copies cannot
    # use it, and the run is one unit (on xor its best is only approached as weights grow).
    assert rows["splits"] == "none"
    assert rows["saddle"].startswith("curvature -") and "would grow" in rows["saddle"]
    assert rows["one-unit loss"].endswith(
        "as weights grow  (best with identical units; the units are identical: this run "
        "is one unit)")
    assert rows["similarity"].startswith("|cos| of balanced units (tanh")


def test_human_summary_names_the_export_and_a_real_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "run.json"
    argv = ["train", "--steps", "30", "--init", "xavier", "--export", str(target)]
    code, out, _ = run_main(capsys, argv)
    assert code == 0
    assert f"export          {target}\n" in out
    gap_line = next(line for line in out.splitlines() if line.startswith("max unit gap"))
    assert "bit-identical" not in gap_line  # Xavier units differ from the start
    # Units that differ are not at the all-alike saddle: the reading is named for them.
    assert "\nbetween units   curvature " in out and "\nsaddle " not in out
    assert target.exists()


def test_diverging_run_is_a_result_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    # pytest swallows warnings; turned into errors, a numpy overflow warning would fail here.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run_main(capsys, ["train", "--steps", "1000", *DIVERGING, "--json"])
    assert code == 0
    assert err == ""  # numpy's overflow warnings are not for the user
    summary = json.loads(out)
    assert summary["diverged"] is True
    assert 0 < summary["step"] < 1000

    code, out, err = run_main(capsys, ["train", "--steps", "1000", *DIVERGING])
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].endswith(" of 1,000")
    # The state reported is the last sane one: its losses are numbers.
    assert lines[1].startswith("loss ") and "not finite" not in lines[1]
    assert "diverged        yes (last finite state reported)" in out


def test_a_loss_that_explodes_without_overflowing_counts_as_divergence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["train", "--steps", "3000", "--init", "xavier", "--tie", "11", "--json"]
    code, out, err = run_main(capsys, argv)
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["diverged"] is True
    assert 0 < summary["step"] < 3000
    assert summary["loss"] is not None


# -- train: export -------------------------------------------------------------------------


def test_export_writes_a_valid_document_and_no_temp_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "out.json"
    argv = ["train", "--steps", "60", "--hidden", "3", "--export", str(target), "--json"]
    code, out, err = run_main(capsys, argv)
    assert code == 0 and err == ""
    assert json.loads(out)["step"] == 60  # --json and --export together: stdout stays JSON
    document = json.loads(target.read_text())
    assert document["format"] == "tui-symmetry-run"
    assert document["version"] == 1
    assert document["step"] == 60
    assert document["config"] == Config(hidden=3).to_dict()
    for key in ("data", "initial_params", "params", "history"):
        assert key in document
    assert len(document["params"]["W1"]) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_same_seed_gives_byte_identical_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # Minibatches and dropout draw random numbers every step: the strictest case.
    base = ["train", "--steps", "300", "--batch-size", "16", "--dropout", "0.2"]
    paths = [tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"]
    for path, seed in zip(paths, ["7", "7", "8"], strict=True):
        assert run_main(capsys, [*base, "--seed", seed, "--export", str(path)])[0] == 0
    a, b, c = (path.read_bytes() for path in paths)
    assert a == b
    assert a != c  # the seed does matter, so the equality above means something


def test_chunked_training_equals_one_call() -> None:
    # train steps in time-sized chunks; its result must not depend on the chunking.
    config = Config(batch_size=16, dropout=0.1, l1=0.001, hidden=5, samples=80)
    whole = Trainer(config)
    whole.step(257)
    chunked = Trainer(config)
    for n in (1, 50, 6, 200):
        chunked.step(n)
    assert dumps_document(run_document(chunked)) == dumps_document(run_document(whole))


def test_export_failure_at_write_time_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "run.json"
    target.write_text("previous run\n")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    code, out, err = run_main(capsys, ["train", "--steps", "5", "--export", str(target)])
    assert code == 1
    assert out == ""
    assert assert_one_error_line(err) == (
        f"tui-symmetry: error: cannot write {target}: no permission to write in {tmp_path}\n"
    )
    assert target.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_ctrl_c_during_train_is_exit_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(self: Trainer, n: int = 1) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "step", interrupted)
    code, out, err = run_main(capsys, ["train", "--steps", "100"])
    assert code == 130
    assert out == ""
    assert assert_one_error_line(err) == "tui-symmetry: error: interrupted\n"


# -- train: progress ---------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    """A stderr that claims to be a terminal, so the progress bar turns on."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("json_output", [False, True])
def test_progress_bar_only_on_a_terminal_without_json(
    json_output: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout, stderr = io.StringIO(), FakeTerminal()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    # Show the bar even for this short run, and update it many times.
    monkeypatch.setattr(progress, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(headless, "FIRST_CHUNK", 5)
    monkeypatch.setattr(headless, "CHUNK_SECONDS", 0.0)
    argv = ["train", "--steps", "40", *(["--json"] if json_output else [])]
    assert cli.main(argv) == 0
    if json_output:
        assert stderr.getvalue() == ""
        assert json.loads(stdout.getvalue())["step"] == 40
    else:
        shown = stderr.getvalue()
        assert "training" in shown and "steps/s" in shown and "loss" in shown
        assert "/40" in shown
        assert stdout.getvalue().startswith("steps ")  # the bar never touches stdout


def test_no_progress_output_when_not_a_terminal(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "PROGRESS_AFTER_SECONDS", 0.0)
    code, out, err = run_main(capsys, ["train", "--steps", "40"])
    assert code == 0 and err == ""
    assert out.startswith("steps ")


# -- config files -------------------------------------------------------------------------------


def test_config_file_toml_and_flags_override_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "lecture.toml"
    path.write_text('init = "symmetric"\nhidden = 4\ntest-fraction = 0.0\nlr = 0.1\n')
    argv = ["train", "--steps", "10", "--config", str(path), "--hidden", "6", "--json"]
    code, out, err = run_main(capsys, argv)
    assert code == 0, err
    config = json.loads(out)["config"]
    assert config == Config(init="symmetric", hidden=6, test_fraction=0.0, lr=0.1).to_dict()


def test_json_output_and_export_seed_a_new_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # Reproducing a run from its own output is the point of a config that round-trips.
    first = tmp_path / "first.json"
    argv = ["train", "--steps", "20", "--hidden", "3", "--seed", "11", "--json"]
    code, out, _ = run_main(capsys, [*argv, "--export", str(first)])
    assert code == 0
    summary_file = tmp_path / "summary.json"
    summary_file.write_text(out)
    for source in (first, summary_file):
        again = tmp_path / f"again-{source.name}"
        code, _, err = run_main(capsys, ["train", "--steps", "20", "--config", str(source),
                                         "--export", str(again)])
        assert code == 0, err
        assert again.read_bytes() == first.read_bytes()


# -- the app path -----------------------------------------------------------------------------


AppCall = tuple[Config, float, "float | None"]
VIEWS_ASKED: list[str] = []
"""The ``view`` of each call of the fake app (kept apart: AppCall predates it)."""


def _install_fake_app(monkeypatch: pytest.MonkeyPatch,
                      run_app: Callable[..., int]) -> None:
    """Put a stand-in tui_symmetry.app in sys.modules.

    It works whether or not the real app package exists yet, and keeps Textual out of
    these tests.
    """
    module = types.ModuleType("tui_symmetry.app")
    module.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", module)


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[AppCall]:
    """A stand-in app on a terminal, recording what run_app was called with."""
    calls: list[AppCall] = []

    def run_app(config: Config, *, fps: float, speed: float | None, view: str = "all",
                **lecture: object) -> int:  # scenario, present: tests/test_lecture.py
        calls.append((config, fps, speed))
        VIEWS_ASKED.append(view)
        return 3 if config.seed == 3 else 0

    VIEWS_ASKED.clear()

    _install_fake_app(monkeypatch, run_app)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    return calls


def test_app_gets_the_built_config_fps_and_speed(
    fake_app: list[AppCall], capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main([]) == 0
    assert fake_app == [(Config(), 20.0, None)]
    argv = ["--hidden", "4", "--init", "he", "--lr", "0.5", "--fps", "7.5", "--activation",
            "leaky-relu", "--speed", "100"]
    assert cli.main(argv) == 0
    config, fps, speed = fake_app[1]
    assert config == Config(hidden=4, init="he", lr=0.5, activation="leaky_relu")
    assert isinstance(config.hidden, int) and fps == 7.5
    assert speed == 100.0
    assert cli.main(["--seed", "3"]) == 3  # the app's exit status is passed on
    assert capsys.readouterr() == ("", "")


def test_app_view_option(fake_app: list[AppCall], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--view", "units"]) == 0
    assert cli.main([]) == 0
    assert VIEWS_ASKED == ["units", "all"]
    assert cli.main(["--view", "pictures"]) == 2
    assert "invalid choice: 'pictures'" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "speed"), [("1", 1.0), ("2.5", 2.5), ("1e3", 1000.0),
                                             ("full", None), ("FULL", None)])
def test_app_speed_option(text: str, speed: float | None, fake_app: list[AppCall]) -> None:
    assert cli.main(["--speed", text]) == 0
    assert fake_app[-1][2] == speed


def test_app_with_config_file(
    tmp_path: Path, fake_app: list[AppCall],
) -> None:
    path = tmp_path / "scene.json"
    path.write_text(json.dumps({"dataset": "spiral", "hidden": 32, "tie": 0.5}))
    assert cli.main(["--config", str(path), "--tie", "0"]) == 0
    assert fake_app == [(Config(dataset="spiral", hidden=32, tie=0.0), 20.0, None)]


# -- no terminal --------------------------------------------------------------------------------

NO_TERMINAL_LINE = (
    "tui-symmetry: error: the app needs an interactive terminal (stdin and stdout); over "
    "SSH use 'ssh -t HOST tui-symmetry', or train headless with "
    "'tui-symmetry train --steps N'\n"
)


def test_app_without_a_terminal_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _install_fake_app(monkeypatch, lambda *args, **kwargs: pytest.fail("the app started"))
    monkeypatch.setattr(cli_app, "has_terminal", lambda: False)
    assert run_main(capsys, ["--hidden", "4"]) == (2, "", NO_TERMINAL_LINE)
    # A bad option is still reported as such: it is the first thing to fix.
    code, _, err = run_main(capsys, ["--hidden", "0"])
    assert code == 2 and "an integer in [1, 256]" in err
    # Headless training needs no terminal.
    code, out, err = run_main(capsys, ["train", "--steps", "3"])
    assert (code, err) == (0, "") and out.startswith("steps ")


@pytest.mark.parametrize("term", ["dumb", "unknown", "DUMB"])
def test_a_dumb_terminal_is_one_line_and_exit_2(
    term: str, fake_app: list[AppCall], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rich takes such a terminal to be 80x25 whatever its size, the driver reads the
    # real size, and the app resized between the two for ever: a frozen screen that
    # not even q could leave.
    monkeypatch.setenv("TERM", term)
    code, out, err = run_main(capsys, ["--hidden", "4"])
    assert (code, out, fake_app) == (2, "", [])
    assert err == (f"tui-symmetry: error: the terminal cannot show the app (TERM={term} "
                   "has no cursor control); use a terminal such as xterm "
                   "(TERM=xterm-256color), or train headless with "
                   "'tui-symmetry train --steps N'\n")
    for usable in ("xterm-256color", "linux", "screen"):
        monkeypatch.setenv("TERM", usable)
        assert run_main(capsys, ["--hidden", "4"])[0] == 0
    monkeypatch.delenv("TERM")
    assert run_main(capsys, ["--hidden", "4"])[0] == 0
    assert len(fake_app) == 4


def test_has_terminal_needs_both_stdin_and_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal, pipe = FakeTerminal(), io.StringIO()
    for stdin, stdout, expected in [(terminal, terminal, True), (pipe, terminal, False),
                                    (terminal, pipe, False), (None, terminal, False)]:
        monkeypatch.setattr(sys, "__stdin__", stdin)
        monkeypatch.setattr(sys, "__stdout__", stdout)
        assert cli_app.has_terminal() is expected


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_app_without_a_terminal_in_a_real_process_starts_nothing(tmp_path: Path) -> None:
    """What `ssh host tui-symmetry` (no -t) does: stdin and stdout are not terminals."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_symmetry"], cwd=tmp_path, env=process_env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        # Generous for a loaded machine; the app it must not start never exits by itself.
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode == 2
    assert (out, err) == ("", NO_TERMINAL_LINE)
    assert processes_in_session(proc.pid) == []  # no training child left behind


def test_real_processes_run_this_checkout(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import tui_symmetry; print(tui_symmetry.__file__)"],
        cwd=tmp_path, env=process_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    assert proc.stdout.strip() == str(Path(tui_symmetry.__file__).resolve())


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["train", "--help"]])
def test_help_and_version_need_no_terminal(argv: list[str], tmp_path: Path) -> None:
    proc = run_process(argv, tmp_path, stdin=subprocess.DEVNULL)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage: tui-symmetry" if "--help" in argv
                                  else "tui-symmetry ")


def test_app_that_cannot_be_imported_is_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", None)  # makes the import fail
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    code, out, err = run_main(capsys, [])
    assert code == 1 and out == ""
    assert "cannot start the app" in assert_one_error_line(err)


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_help_lists_every_option_with_its_range(
    argv: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, argv)
    assert code == 0 and err == ""
    flat = " ".join(out.split())  # argparse wraps lines anywhere
    for spec in FIELDS:
        assert spec.flag in flat
        assert f"{spec.help}; {spec.describe_range()} (default: " in flat
    steps = parsing.STEPS
    assert (f"{steps.help}; {steps.describe_range()}" in flat) == (argv[0] == "train")
    assert (f"{FPS.help}; {FPS.describe_range()} (default: 20.0)" in flat) == (argv[0] != "train")
    assert (f"{SPEED.help}; {SPEED.describe_range()} (default: full)" in flat) == (
        argv[0] != "train")


# -- write_json_atomic --------------------------------------------------------------------------

DOCUMENT = {"format": "tui-symmetry-run", "b": [1.5, None], "a": {"z": 1, "y": "ü"}}


def test_atomic_write_content_is_compact_ordered_json(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    write_json_atomic(target, DOCUMENT)
    text = target.read_text(encoding="utf-8")
    assert text == '{"format":"tui-symmetry-run","b":[1.5,null],"a":{"z":1,"y":"\\u00fc"}}\n'
    assert json.loads(text) == DOCUMENT
    write_json_atomic(str(target), {"again": True})  # str paths too; overwrites
    assert json.loads(target.read_text()) == {"again": True}
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_atomic_write_failure_keeps_the_old_file(
    failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "doc.json"
    target.write_text("old\n")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(CannotWrite, match=f"^cannot write {target}: the disk is full$"):
        write_json_atomic(target, DOCUMENT)
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_atomic_write_rejects_non_json_before_touching_the_disk(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "doc.json", {"loss": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_missing_directory_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(CannotWrite) as error:
        write_json_atomic(tmp_path / "missing" / "doc.json", DOCUMENT)
    assert error.value.errno == errno.ENOENT
    assert error.value.reason == f"the directory {tmp_path / 'missing'} does not exist"


def test_atomic_write_file_modes(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        write_json_atomic(fresh, DOCUMENT)
        # Not mkstemp's private 0600: an export is a normal file.
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.json"
        kept.write_text("{}")
        kept.chmod(0o640)
        write_json_atomic(kept, DOCUMENT)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


# -- the documented contract ----------------------------------------------------------------


def test_the_settings_table_in_the_docs_matches_the_config() -> None:
    """docs/contracts.md lists every setting with its range, default and mid-run rule."""
    text = (Path(CHECKOUT) / "docs" / "contracts.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `--")]
    documented = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    defaults = Config()
    expected = [
        [f"`{spec.flag}`", spec.help, spec.describe_range(),
         f"`{getattr(defaults, spec.name)!r}`", "live" if spec.live else "reset"]
        for spec in FIELDS
    ]
    assert documented == expected
