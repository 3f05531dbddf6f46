"""Runs on tables, end to end and headless: the shipped digits, wine and iris and a CSV
file as datasets (the split, the scaling, D, C and the loss), the trainer's numbers on
them, the summary and export, and the command line's --data, --target and --task.

Small and fast: digits steps are a few ms each, so every test trains only the steps its
claim needs.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import reference_mlp
from conftest import process_env

from tui_symmetry import cli
from tui_symmetry.app.controller import RunController
from tui_symmetry.cli import app as cli_app
from tui_symmetry.cli.parsing import with_table
from tui_symmetry.core import Config, ConfigError, Trainer, tables
from tui_symmetry.core.data import describe, make_dataset
from tui_symmetry.core.matching import comparable
from tui_symmetry.core.metrics import max_unit_gap, unit_vectors
from tui_symmetry.core.tables import class_shares, load_shipped
from tui_symmetry.export import dumps_document, run_document
from tui_symmetry.runner import SyncRunner
from tui_symmetry.settings import command_line, settings_toml

ROWS = {"digits": 1797, "wine": 178, "iris": 150}
SHAPES = {"digits": (64, 10), "wine": (13, 3), "iris": (4, 3)}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_shipped_table_is_a_dataset_with_its_inputs_outputs_and_softmax(name: str) -> None:
    config = Config(dataset=name, samples=ROWS[name])
    assert (config.input_dim, config.output_dim) == SHAPES[name]
    assert config.loss == "softmax" and not config.is_regression
    assert describe(config).classes == load_shipped(name).classes


@pytest.mark.parametrize("seed", [0, 3])
def test_digits_split_is_stratified_and_scaled_per_pixel_by_16(seed: int) -> None:
    table = load_shipped("digits")
    config = Config(dataset="digits", samples=600, seed=seed)
    data = make_dataset(config)
    # Labels are class indices (N,) for softmax; every class is in both splits in the
    # shares class_shares gives (a second way: count them).
    assert data.y_train.dtype == np.int64 and data.y_train.ndim == 1
    share = class_shares(np.bincount(table.y, minlength=10), 600)
    counts = np.bincount(data.y_train, minlength=10) + np.bincount(data.y_test, minlength=10)
    np.testing.assert_array_equal(counts, share)
    assert np.bincount(data.y_test, minlength=10).min() >= 1
    # Centred by the training mean and divided by 16, not by each pixel's spread: the
    # raw counts come back as integers 0..16, and every training pixel has mean 0.
    raw = data.X_train * 16.0 + data.mean
    np.testing.assert_allclose(raw, np.round(raw), atol=1e-9)
    assert raw.min() >= -1e-9 and raw.max() <= 16 + 1e-9
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(data.scale, np.full(64, 16.0))
    # Each training row is a row of the table with its own label.
    rows = {tuple(r): int(c) for r, c in zip(table.X.tolist(), table.y.tolist(), strict=True)}
    for r, c in zip(np.round(raw[:50]).tolist(), data.y_train[:50].tolist(), strict=True):
        assert rows[tuple(r)] == c


def test_wine_is_standardized_by_its_training_split() -> None:
    data = make_dataset(Config(dataset="wine", samples=178, seed=2))
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1.0, rtol=1e-12)
    assert len(data.y_train) + len(data.y_test) == 178


def test_csv_settings_belong_to_dataset_csv() -> None:
    with pytest.raises(ConfigError, match="dataset csv needs a CSV file"):
        Config(dataset="csv")
    # Another dataset clears them, so the app's dataset key leaves no stale file behind.
    config = Config(dataset="xor", data="x.csv", target="y", task="regress", data_sha256="ab")
    assert (config.data, config.target, config.task, config.data_sha256) == ("", "", "auto", "")


@pytest.mark.parametrize("name", sorted(ROWS))
def test_a_trainer_runs_on_each_table(name: str) -> None:
    trainer = Trainer(Config(dataset=name, samples=ROWS[name], hidden=4, init="xavier",
                             lr=0.5))
    first = trainer.train_loss()
    assert first == pytest.approx(trainer.snapshot().loss)
    trainer.step(10)
    assert trainer.train_loss() < first
    assert trainer.params.W2.shape == (SHAPES[name][1], 4)


@pytest.mark.parametrize("seed", [0, 1])
def test_digits_copies_stay_bit_identical(seed: int) -> None:
    trainer = Trainer(Config(dataset="digits", samples=1797, hidden=16, init="symmetric",
                             epsilon=0.0, lr=0.5, seed=seed))
    trainer.step(20)
    units = unit_vectors(trainer.params)
    assert max_unit_gap(units) == 0.0
    assert not np.array_equal(trainer.params.W1, trainer.initial_params.W1)  # they moved


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_table_takes_every_row_unless_samples_is_given(
        capsys: pytest.CaptureFixture[str], no_one_unit_search: None) -> None:
    code, out, _ = run_main(capsys, ["train", "--dataset", "iris", "--steps", "1", "--json"])
    assert code == 0 and json.loads(out)["config"]["samples"] == 150
    code, out, _ = run_main(capsys, ["train", "--dataset", "iris", "--samples", "60",
                                     "--steps", "1", "--json"])
    assert code == 0 and json.loads(out)["config"]["samples"] == 60
    code, out, err = run_main(capsys, ["train", "--dataset", "iris", "--samples", "151",
                                       "--steps", "1"])
    assert (code, out) == (2, "")
    assert err == ("tui-symmetry: error: samples: 151; the table iris has 150 rows "
                   "(use 4 to 150)\n")


# -- 17.6: evaluation, confusion, summary, export ----------------------------------------------


def _independent_logits(document: dict, split: str) -> np.ndarray:
    """The exported network's outputs (N, C) on a split, by plain numpy from the file."""
    p = {k: np.array(v, dtype=float) for k, v in document["params"].items()}
    X = np.array(document["data"][f"X_{split}"], dtype=float)
    return np.tanh(X @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]


@pytest.mark.parametrize(("name", "seed"), [("iris", 0), ("wine", 4)])
def test_softmax_accuracy_and_confusion_agree_with_the_exported_network(
        name: str, seed: int) -> None:
    trainer = Trainer(Config(dataset=name, samples=ROWS[name], hidden=6, init="xavier",
                             lr=0.5, seed=seed))
    trainer.step(30)
    document = run_document(trainer)
    summary = document["summary"]
    y_train = np.array(document["data"]["y_train"])
    y_test = np.array(document["data"]["y_test"])
    guess_train = _independent_logits(document, "train").argmax(axis=1)
    guess_test = _independent_logits(document, "test").argmax(axis=1)
    assert summary["accuracy"] == pytest.approx(np.mean(guess_train == y_train), abs=1e-15)
    expected = np.zeros((3, 3), dtype=int)
    np.add.at(expected, (y_test, guess_test), 1)
    assert summary["confusion"] == expected.tolist()
    assert summary["outputs"] == 3
    assert summary["classes"] == list(load_shipped(name).classes)
    source = document["data_source"]
    assert (source["kind"], source["name"], source["task"]) == ("shipped", name, "classes")
    # The exported rows are the table's rows scaled as data_source says.
    raw = np.array(document["data"]["X_train"]) * source["scale"] + source["mean"]
    table = {tuple(np.round(r, 6)) for r in load_shipped(name).X.tolist()}
    assert all(tuple(np.round(r, 6)) in table for r in raw.tolist())


def test_summary_keys_of_a_toy_and_a_table() -> None:
    toy = Trainer(Config(samples=40, hidden=3))
    toy.step(5)
    toy.learn_one_unit_loss()
    summary = toy.snapshot().summary()
    assert (summary["outputs"], summary["classes"], summary["one_unit_bound"]) == (1, ["0", "1"],
                                                                                 "exact")
    assert np.sum(summary["confusion"]) == 8  # the test split's 8 points
    keys = list(summary)
    assert keys[keys.index("accuracy") + 1: keys.index("accuracy") + 4] == [
        "outputs", "classes", "confusion"]
    assert keys[keys.index("one_unit_weights_grow") + 1] == "one_unit_bound"
    sine = Trainer(Config(dataset="sine", samples=40, hidden=3)).snapshot().summary()
    assert (sine["classes"], sine["confusion"]) == ([], None)
    iris = Trainer(Config(dataset="iris", samples=30, hidden=3))
    iris.learn_one_unit_loss()
    assert iris.snapshot().summary()["one_unit_bound"] == "upper"  # C = 3: only a bound
    snap = Trainer(Config(dataset="digits", samples=100, hidden=3)).snapshot()
    assert snap.summary()["one_unit_loss"] is None and snap.summary()["outputs"] == 10
    assert snap.pictures is not None and snap.pictures.images.values.shape == (3, 8, 8)
    assert snap.pictures.class_means.shape == (3, 10) and snap.unit_maps is None


@pytest.mark.parametrize(("optimizer", "lr", "extra"), [
    ("sgd", 0.5, {}), ("momentum", 0.1, {"l2": 0.01}), ("adam", 0.01, {"tie": 0.1})])
def test_reference_replays_a_digits_export(optimizer: str, lr: float, extra: dict) -> None:
    trainer = Trainer(Config(dataset="digits", samples=300, hidden=8, init="xavier",
                             optimizer=optimizer, lr=lr, **extra))
    trainer.step(60)
    document = json.loads(dumps_document(run_document(trainer)))
    replayed = reference_mlp.replay(document)
    for name, values in document["params"].items():
        np.testing.assert_allclose(replayed[name], np.array(values), rtol=0, atol=1e-10)
    assert not np.allclose(replayed["W1"], document["initial_params"]["W1"], atol=1e-3)


def test_reference_softmax_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=4),
              "W2": rng.normal(size=(3, 4)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(11, 5)), np.eye(3)[rng.integers(0, 3, 11)]
    _, grads = reference_mlp.loss_and_grads(params, X, y, "tanh", "softmax")
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            shifted = [dict(params, **{name: value.copy()}) for _ in range(2)]
            shifted[0][name][index] += 1e-6
            shifted[1][name][index] -= 1e-6
            up, down = (reference_mlp.loss_and_grads(p, X, y, "tanh", "softmax")[0]
                        for p in shifted)
            assert grads[name][index] == pytest.approx((up - down) / 2e-6, abs=1e-8)


def test_torch_replays_a_digits_export() -> None:
    """The export, replayed by PyTorch itself (float64 Linear layers, CrossEntropyLoss,
    torch.optim.SGD): skipped where torch is not installed (it is not a dependency)."""
    torch = pytest.importorskip("torch")
    trainer = Trainer(Config(dataset="digits", samples=300, hidden=8, init="xavier", lr=0.5))
    trainer.step(40)
    document = run_document(trainer)
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in document["initial_params"].items()}
    X = torch.tensor(document["data"]["X_train"], dtype=torch.float64)
    y = torch.tensor(document["data"]["y_train"], dtype=torch.long)
    optimizer = torch.optim.SGD(list(p.values()), lr=0.5)
    for _ in range(40):
        optimizer.zero_grad()
        out = torch.tanh(X @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
        torch.nn.functional.cross_entropy(out, y).backward()
        optimizer.step()
    for name, values in document["params"].items():
        np.testing.assert_allclose(p[name].detach().numpy(), np.array(values), atol=1e-10)


# -- 17.7: --data FILE.csv, --target, --task -------------------------------------------------

CSV_TEXT = "\n".join(
    ["a,b,c,label", *(f"{i % 5},{(3 * i) % 7},{i * 0.5},{'xyz'[i % 3]}" for i in range(30))]
) + "\n"


@pytest.fixture
def csv_file(tmp_path, monkeypatch) -> str:
    """x.csv in a scratch working directory: 30 rows, 3 features, classes x, y, z."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text(CSV_TEXT, encoding="utf-8")
    return "x.csv"


def test_train_on_a_csv_file_names_its_source(csv_file: str, no_one_unit_search: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, ["train", "--data", csv_file, "--steps", "3", "--json"])
    summary = json.loads(out)
    assert code == 0
    assert (summary["config"]["dataset"], summary["config"]["samples"]) == ("csv", 30)
    assert summary["config"]["data_sha256"] == hashlib.sha256(CSV_TEXT.encode()).hexdigest()
    assert (summary["outputs"], summary["classes"]) == (3, ["x", "y", "z"])
    # --target picks another column; --task regress fits it as a number (MSE, no classes)
    Path("n.csv").write_text(CSV_TEXT.replace(",x\n", ",0\n").replace(",y\n", ",1\n")
                             .replace(",z\n", ",2\n"), encoding="utf-8")
    code, out, _ = run_main(capsys, ["train", "--data", "n.csv", "--target", "c", "--task",
                                     "regress", "--steps", "3", "--json"])
    summary = json.loads(out)
    assert code == 0 and (summary["outputs"], summary["classes"], summary["accuracy"]) == (
        1, [], None)


@pytest.mark.parametrize(("words", "message"), [
    (["--data", "missing.csv"], "data: cannot read missing.csv: No such file or directory"),
    (["--data", "x.csv", "--target", "zz"],
     "data: x.csv: target: no column 'zz' (columns: a, b, c, label)"),
    (["--data", "x.csv", "--task", "regress"], "label"),
    (["--data", "x.csv", "--dataset", "xor"], "data: a CSV file is dataset csv, not xor"),
    (["--dataset", "csv"], "dataset csv needs a CSV file"),
    (["--data", "x.csv", "--samples", "31"], "samples: 31; the table x.csv has 30 rows"),
])
@pytest.mark.parametrize("command", [["train", "--steps", "2", "--export", "out.json"],
                                     ["compare", "--a", "", "--b", "--hidden 2", "--steps",
                                      "2"],
                                     ["sweep", "--vary", "hidden=2,3", "--steps", "2"],
                                     []])
def test_a_bad_table_is_one_line_exit_2_and_nothing_written(
        csv_file: str, words: list[str], message: str, command: list[str],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    monkeypatch.setitem(sys.modules, "tui_symmetry.app", None)  # the app must not start
    code, out, err = run_main(capsys, [*command, *words])
    assert (code, out) == (2, "")
    assert err.startswith("tui-symmetry: error: ") and err.count("\n") == 1
    assert message in err
    assert sorted(p.name for p in Path().iterdir()) == ["x.csv"]


def test_an_export_replays_with_its_csv_deleted(csv_file: str, no_one_unit_search: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    run = ["train", "--steps", "25", "--hidden", "3", "--init", "xavier"]
    assert run_main(capsys, [*run, "--data", csv_file, "--export", "e1.json"])[0] == 0
    Path(csv_file).unlink()
    assert run_main(capsys, [*run, "--config", "e1.json", "--export", "e2.json"])[0] == 0
    assert Path("e2.json").read_bytes() == Path("e1.json").read_bytes()
    # Another seed needs other rows of the file, which is gone: said in one line.
    code, _, err = run_main(capsys, [*run, "--config", "e1.json", "--seed", "1"])
    assert code == 2 and "data: cannot read x.csv: No such file or directory" in err


def test_an_edited_csv_is_refused_where_the_export_does_not_hold_the_rows(
        csv_file: str, capsys: pytest.CaptureFixture[str], no_one_unit_search: None) -> None:
    assert run_main(capsys, ["train", "--data", csv_file, "--steps", "2",
                             "--export", "e1.json"])[0] == 0
    Path(csv_file).write_text(CSV_TEXT.replace("0,0,0.0", "0,0,0.25"), encoding="utf-8")
    code, _, err = run_main(capsys, ["train", "--config", "e1.json", "--steps", "2",
                                     "--seed", "5"])
    assert code == 2 and "data: x.csv: changed since this run (sha256 was" in err


def test_saved_settings_name_the_file_not_its_digest(csv_file: str) -> None:
    config = Config(dataset="csv", data=csv_file, target="c", task="regress",
                    data_sha256="ab" * 32)
    line = command_line(config)
    assert "--data x.csv --target c --task regress" in line and "sha256" not in line
    toml = settings_toml(config)
    assert 'data = "x.csv"' in toml and "sha256" not in toml


def test_compare_does_not_match_units_across_tables(csv_file: str) -> None:
    Path("y.csv").write_text(CSV_TEXT.replace("a,b,c", "p,q,r"), encoding="utf-8")
    a = with_table(Config(dataset="csv", data=csv_file), samples_given=False)
    b = with_table(Config(dataset="csv", data="y.csv"), samples_given=False)
    assert "A and B learn different tables (x.csv, y.csv)" in comparable(a, b)
    assert comparable(a, a.replace(hidden=3)) is None
    assert "different tables (iris, wine)" in comparable(Config(dataset="iris"),
                                                         Config(dataset="wine"))
    assert "different tables (the toy xor, iris)" in comparable(Config(), Config(dataset="iris"))


def test_a_sweep_over_datasets_gives_each_its_rows(capsys: pytest.CaptureFixture[str],
                                                   no_one_unit_search: None) -> None:
    code, out, _ = run_main(capsys, ["sweep", "--dataset", "wine", "--vary", "dataset=iris,xor",
                                     "--steps", "1", "--jobs", "1", "--json"])
    assert code == 0
    assert [run["summary"]["config"]["samples"] for run in json.loads(out)["runs"]] == [150, 200]


def test_the_apps_dataset_key_takes_each_table_whole_and_skips_csv(
        no_one_unit_search: None) -> None:
    runner = SyncRunner(Config(dataset="blobs", samples=60, hidden=3))
    controller = RunController(runner, autoplay=False)
    seen = []
    for _ in range(6):
        outcome = controller.request_setting("dataset", controller.cycled("dataset", 1))
        assert outcome.changed, outcome.notice
        seen.append((runner.config.dataset, runner.config.samples))
    assert seen == [("sine", 60), ("linear", 60), ("teacher", 60), ("digits", 1797),
                    ("wine", 178), ("iris", 150)]
    controller.request_setting("dataset", controller.cycled("dataset", 1))
    assert (runner.config.dataset, runner.config.samples) == ("xor", 200)


def test_a_csv_run_reads_its_file_when_built_not_at_each_snapshot(
        csv_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = with_table(Config(dataset="csv", data=csv_file), samples_given=False)
    trainer = Trainer(config)
    reads = []
    real = tables._read_file
    monkeypatch.setattr(tables, "_read_file", lambda *a: reads.append(a) or real(*a))
    for _ in range(3):
        trainer.step(1)
        assert trainer.snapshot().classes == ("x", "y", "z")
    assert reads == []


def test_a_toy_run_never_loads_the_table_reader(tmp_path: Path) -> None:
    code = ("import sys; from tui_symmetry import cli; "
            "assert cli.main(['train', '--steps', '3', '--hidden', '2', '--export', 'e.json']) "
            "== 0; print('tui_symmetry.core.tables' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=process_env(),
                          capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.splitlines()[-1] == "False"


@pytest.mark.parametrize("name", ["digits", "wine", "iris"])
def test_a_shipped_table_is_pictures_exactly_when_its_shape_has_an_image(name: str) -> None:
    # The registry says it without reading the table (a conv scene's config is checked
    # at import); the table, once read, must agree.
    from tui_symmetry.core.data import DATASETS, describe

    assert DATASETS[name].pictures == (describe(Config(dataset=name)).image is not None)
