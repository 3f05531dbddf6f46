"""``tui-symmetry sweep``: the grid, the rows (equal to train's), the fit, Ctrl+C, Dask."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import cpu_seconds, process_env, processes_in_session, wait_for

from tui_symmetry import cli
from tui_symmetry.cli import errors, sweep
from tui_symmetry.cli.errors import ExitCode
from tui_symmetry.cli.sweep import grid, parse_vary
from tui_symmetry.cli.sweep import run as run_sweep_command
from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments import sweep as experiment
from tui_symmetry.experiments.sweep import Run, SplitFit, fit_split_steps

GRID_ARGS = ["--vary", "hidden=3,4", "--vary", "epsilon=0.01,0.001", "--steps", "120",
             "--dataset", "moons", "--samples", "60"]


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def without_speed(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "steps_per_s"}


# -- the grid --------------------------------------------------------------------------------


def test_vary_values_are_checked_like_their_flags() -> None:
    assert parse_vary("hidden=3,4,4") == sweep.Vary("hidden", (3, 4))
    assert parse_vary("init-scale=0.5, 1") == sweep.Vary("init_scale", (0.5, 1.0))
    for bad, words in [("hiden=3", "NAME one of"), ("hidden", "NAME=V1"),
                       ("hidden=", "no values"), ("hidden=0", "hidden"),
                       ("activation=tan", "activation")]:
        with pytest.raises(errors.UsageError, match=words):
            parse_vary(bad)


def test_grid_is_every_combination_first_vary_slowest() -> None:
    runs = grid(Config(), [parse_vary("hidden=3,4"), parse_vary("seed=0,1,2")])
    assert [(run.varied["hidden"], run.varied["seed"]) for run in runs] == [
        (3, 0), (3, 1), (3, 2), (4, 0), (4, 1), (4, 2)]
    assert runs[4].config == Config(hidden=4, seed=1)
    with pytest.raises(errors.UsageError, match="twice"):
        grid(Config(), [parse_vary("hidden=3"), parse_vary("hidden=4")])
    with pytest.raises(errors.UsageError, match=r"test-fraction=0\.9"):  # too few to train on
        grid(Config(samples=4), [parse_vary("test_fraction=0.5,0.9")])


@pytest.mark.parametrize(("argv", "words"), [
    (["sweep", "--steps", "10"], "at least one --vary"),
    (["sweep", "--vary", "hidden=3"], "--steps"),
    (["sweep", "--vary", "hidden=3", "--steps", "10", "--jobs", "0"], "jobs"),
    (["sweep", "--vary", "hidden=3", "--steps", "10", "--json", "--csv"], "not allowed"),
])
def test_bad_sweep_input_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str],
                                                  argv: list[str], words: str) -> None:
    code, out, err = run_main(capsys, argv)
    assert code == 2 and out == ""
    assert err.startswith("tui-symmetry: error:") and words in err
    assert err.count("\n") == 1


# -- the rows ---------------------------------------------------------------------------------


def test_every_row_equals_train_json_to_the_bit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["sweep", *GRID_ARGS, "--jobs", "2", "--json"])
    assert code == 0 and err == ""
    document = json.loads(out)
    assert not document["interrupted"]
    assert len(document["runs"]) == 4
    for row in document["runs"]:
        flags = [f"--{name.replace('_', '-')}={value}" for name, value in row["varied"].items()]
        code, train_out, _ = run_main(capsys, ["train", "--steps", "120", "--dataset", "moons",
                                               "--samples", "60", *flags, "--json"])
        assert code == 0
        assert without_speed(row["summary"]) == without_speed(json.loads(train_out))


def test_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, ["sweep", *GRID_ARGS, "--jobs", "1"])
    assert code == 0
    header, *rows = out.splitlines()[:5]
    assert header.split()[:3] == ["hidden", "epsilon", "loss"]
    assert [row.split()[:2] for row in rows] == [["3", "0.01"], ["3", "0.001"], ["4", "0.01"],
                                                  ["4", "0.001"]]
    code, out, _ = run_main(capsys, ["sweep", *GRID_ARGS, "--jobs", "1", "--csv"])
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["hidden"] for row in table] == ["3", "3", "4", "4"]
    assert {"loss", "split_step", "splits", "one_unit_loss"} <= set(table[0])


# -- the split-time law -------------------------------------------------------------------------


def _run(eps: float, split: int | None, **varied: Any) -> Run:
    run = Run(0, {"epsilon": eps, **varied}, Config(epsilon=eps))
    run.summary = {"split_step": split}
    return run


def test_split_steps_are_fitted_against_log_one_over_epsilon() -> None:
    runs = [_run(1e-2, 1000, dataset="xor"), _run(1e-4, 1600, dataset="xor"),
            _run(1e-6, 2200, dataset="xor"), _run(0.0, None, dataset="xor"),
            _run(1e-2, 500, dataset="moons"), _run(1e-4, 700, dataset="moons"),
            _run(1e-6, 1000, dataset="moons")]
    fits = {fit.group["dataset"]: fit for fit in fit_split_steps(runs, ["dataset", "epsilon"])}
    assert fits["xor"].slope == pytest.approx(300.0)  # steps per decade of 1/ε
    assert fits["xor"].intercept == pytest.approx(400.0)
    assert fits["xor"].r2 == pytest.approx(1.0)
    assert len(fits["xor"].points) == 3  # ε = 0 never splits: left out
    assert 0.9 < fits["moons"].r2 < 1.0
    assert fit_split_steps(runs, ["dataset"]) == []  # ε not varied: no fit
    text = sweep.fit_text(fits["xor"])
    assert "300 per decade" in text and "R² 1.000" in text and "dataset=xor" in text


def test_two_points_are_a_line_but_no_quality_of_fit() -> None:
    runs = [_run(1e-2, 1000), _run(1e-4, 1600)]
    (fit,) = fit_split_steps(runs, ["epsilon"])
    assert fit.slope == pytest.approx(300.0)
    assert fit.r2 is None and fit.to_dict()["r2"] is None  # any two points fit exactly
    text = sweep.fit_text(fit)
    assert "300 per decade" in text and "R²" not in text
    assert "2 runs: two points give no quality of fit" in text


def test_a_crossing_undone_at_once_is_not_fitted() -> None:
    # moons with ε = 1e-3 crosses to 2 units at step 54 and back at 60: no split, so
    # its run adds no point (the lasting split comes thousands of steps later).
    config = Config(dataset="moons", epsilon=1e-3)
    trainer = Trainer(config)
    trainer.step(400)
    summary = trainer.snapshot().summary()
    assert summary["unit_events"] == [[54, 1, 2], [60, 2, 1]]
    assert summary["split_step"] is None and summary["splits"] == []
    transient = Run(1, {"epsilon": 1e-3}, config, summary=summary)
    (fit,) = fit_split_steps([_run(1e-2, 1000), transient, _run(1e-4, 1600)], ["epsilon"])
    assert [point[1] for point in fit.points] == [1000, 1600]


def test_fit_chart_is_plain_text_off_a_terminal() -> None:
    chart = sweep.fit_chart(SplitFit({}, 300.0, 400.0, 1.0, ((2.0, 1000), (4.0, 1600))),
                            color=False)
    assert "\x1b[" not in chart
    assert "split step" in chart and "log10(1/ε)" in chart


# -- Ctrl+C ---------------------------------------------------------------------------------------


class InterruptOnSecondRun(Executor):
    """Runs in order on one thread; the second run is interrupted as if by Ctrl+C."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        self.calls += 1
        if self.calls == 2:
            def interrupted(*_: Any) -> None:
                raise KeyboardInterrupt
            return self.pool.submit(interrupted)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_ctrl_c_stops_and_prints_what_finished() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--vary", "seed=0,1,2", "--steps", "50", "--samples", "40"]
    code = run_sweep_command(argv, out, err, executor_factory=lambda *_: InterruptOnSecondRun())
    assert code == ExitCode.INTERRUPTED
    lines = out.getvalue().splitlines()
    assert lines[0].split()[0] == "seed"
    assert [line.split()[0] for line in lines[1:-1]] == ["0"]
    assert lines[-1] == "interrupted: 1 of 3 runs finished"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_a_real_sweep_and_its_workers(tmp_path: Path) -> None:
    """SIGINT to the command alone (as a terminal's Ctrl+C may): its workers stop too."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_symmetry", "sweep", "--vary", "seed=0,1,2,3",
         "--steps", "100000000", "--jobs", "2", "--yes"],
        cwd=tmp_path, env=process_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )

    def both_workers_training() -> bool:
        workers = [pid for pid in processes_in_session(proc.pid) if pid != proc.pid]
        try:
            return len(workers) == 2 and all(cpu_seconds(pid) > 0.5 for pid in workers)
        except OSError:
            return False  # one ended meanwhile

    try:
        wait_for(both_workers_training)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    assert out.splitlines()[-1] == "interrupted: 0 of 4 runs finished"
    assert processes_in_session(proc.pid) == []  # no worker left behind


def test_workers_are_forked_only_where_that_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert experiment.worker_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # another thread holds locks
    assert experiment.worker_start_method() == "spawn"
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert experiment.worker_start_method() == "spawn"


# -- Dask ---------------------------------------------------------------------------------------


def test_runs_on_a_dask_cluster_on_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None,
                                  ) as cluster:
        code, out, err = run_main(capsys, ["sweep", *GRID_ARGS, "--json",
                                           "--scheduler", cluster.scheduler_address])
    assert code == 0, err
    remote = json.loads(out)["runs"]
    code, out, _ = run_main(capsys, ["sweep", *GRID_ARGS, "--json", "--jobs", "1"])
    local = json.loads(out)["runs"]
    assert [without_speed(r["summary"]) for r in remote] == [
        without_speed(r["summary"]) for r in local]
    assert all(math.isfinite(r["summary"]["loss"]) for r in remote)


def test_an_unreachable_scheduler_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep, "SCHEDULER_TIMEOUT", 1)
    code, _, err = run_main(capsys, ["sweep", "--vary", "hidden=3", "--steps", "5",
                                     "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2 and "cannot reach the scheduler" in err
