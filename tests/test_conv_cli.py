"""`--arch conv` on the command line: train, export and replay (the loop reference, and
torch's nn.Conv2d where torch is installed), compare with matched filters, sweep over
filters, the settings file (docs/contracts.md).  Small runs: 100 digits, a few steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference_conv

from tui_symmetry import cli
from tui_symmetry.core import Config
from tui_symmetry.core.matching import comparable
from tui_symmetry.settings import read_settings_file, settings_toml

pytestmark = pytest.mark.usefixtures("no_one_unit_search")  # seconds a run, not checked here

CONV = ["--dataset", "digits", "--samples", "100", "--arch", "conv", "--filters", "3",
        "--init", "xavier", "--lr", "0.5"]


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _export(capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str,
            steps: int = 6) -> dict[str, Any]:
    path = tmp_path / "run.json"
    code, out, err = run_main(capsys, ["train", *CONV, *extra, "--steps", str(steps),
                                       "--export", str(path)])
    assert (code, err) == (0, ""), err
    assert "distinct filters  " in out and "dead filters  " in out
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_conv_export_holds_torch_shaped_params_and_replays_on_the_reference(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = _export(capsys, tmp_path, "--optimizer", "momentum", "--l2", "0.01")
    config = document["config"]
    assert (config["arch"], config["filters"], config["kernel"]) == ("conv", 3, 3)
    shapes = {name: np.array(value).shape for name, value in document["params"].items()}
    assert shapes == {"Wc": (3, 1, 3, 3), "bc": (3,), "W2": (10, 27), "b2": (10,)}
    replayed = reference_conv.replay_conv(document)
    for name in reference_conv.CONV_NAMES:
        np.testing.assert_allclose(replayed[name], np.array(document["params"][name]),
                                   rtol=0, atol=1e-10)


def test_torch_conv2d_replays_a_conv_export(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    document = _export(capsys, tmp_path, "--kernel", "5", "--activation", "relu", steps=8)
    start = {name: torch.tensor(np.array(value), dtype=torch.float64)
             for name, value in document["initial_params"].items()}
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 5), torch.nn.ReLU(),
                              torch.nn.AvgPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(3 * 4, 10)).double()
    with torch.no_grad():
        net[0].weight.copy_(start["Wc"])
        net[0].bias.copy_(start["bc"])
        net[4].weight.copy_(start["W2"])
        net[4].bias.copy_(start["b2"])
    images = torch.tensor(np.array(document["data"]["X_train"]),
                          dtype=torch.float64).reshape(-1, 1, 8, 8)
    labels = torch.tensor(document["data"]["y_train"], dtype=torch.int64)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(document["step"]):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(images), labels).backward()
        optimizer.step()
    final = {"Wc": net[0].weight, "bc": net[0].bias, "W2": net[4].weight, "b2": net[4].bias}
    for name, tensor in final.items():
        np.testing.assert_allclose(tensor.detach().numpy(),
                                   np.array(document["params"][name]), rtol=0, atol=1e-10)


def test_compare_matches_filters_and_refuses_other_filter_sizes(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["compare", *CONV, "--b", "--seed 1", "--steps", "4",
                                       "--baseline-runs", "0", "--json"])
    assert (code, err) == (0, "")
    matching = json.loads(out)["matching"]
    assert sorted(matching["b_for_a"]) == [0, 1, 2] and matching["reason"] is None
    assert 0 < matching["chance"] < 1
    code, out, err = run_main(capsys, ["compare", *CONV, "--b", "--kernel 5", "--steps", "2",
                                       "--baseline-runs", "0"])
    assert (code, err) == (0, "")
    line = next(row for row in out.splitlines() if row.startswith("matched similarity"))
    assert line.endswith("none: A and B have filters of different sizes (3x3, 5x5): their "
                         "kernels cannot be matched")
    mlp = Config(dataset="digits", hidden=3)
    assert comparable(Config(dataset="digits", arch="conv"), mlp) == (
        "A and B are different networks (conv, mlp): hidden units and filters cannot be "
        "matched")


def test_sweep_varies_the_number_of_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["sweep", *CONV, "--vary", "filters=2,4", "--steps",
                                       "3", "--jobs", "1", "--json"])
    assert (code, err) == (0, ""), err
    runs = json.loads(out)["runs"]
    assert [run["varied"] for run in runs] == [{"filters": 2}, {"filters": 4}]
    assert [run["summary"]["config"]["filters"] for run in runs] == [2, 4]
    assert [run["summary"]["distinct_units"] for run in runs] == [2, 4]  # xavier: apart


def test_the_settings_file_carries_the_conv_fields(tmp_path: Path) -> None:
    config = Config(dataset="digits", arch="conv", filters=5, kernel=5)
    path = tmp_path / "settings.toml"
    path.write_text(settings_toml(config), encoding="utf-8")
    assert Config.from_dict(read_settings_file(str(path))) == config


def test_conv_on_a_toy_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["train", "--arch", "conv", "--steps", "1"])
    assert (code, out) == (2, "")
    assert err == "tui-symmetry: error: arch: conv needs image data (digits), not xor\n"


def test_an_experiment_of_a_conv_net_is_one_error_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, ["experiment", "seeds", *CONV, "--steps", "1"])
    assert (code, out) == (2, "")
    assert err == ("tui-symmetry: error: arch: experiment seeds runs on hidden units; use "
                   "arch mlp, not conv\n")
