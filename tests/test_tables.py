"""Tables: the shipped digits, wine and iris, the CSV rules and limits of
docs/contracts.md ("Tables"), the stratified split and the standardization of
docs/maths.md ("Data"), each checked a second way where there is one."""

from __future__ import annotations

import csv
import fnmatch
import gzip
import json
import os
import statistics
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from tui_symmetry.core import tables
from tui_symmetry.core.tables import (
    Table,
    TableError,
    class_shares,
    load_csv,
    load_shipped,
    split_table,
    standardize,
)

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "tui_symmetry" / "core" / "datasets"


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test parses its files itself and registers nothing for the next one."""
    monkeypatch.setattr(tables, "_CSV_CACHE", type(tables._CSV_CACHE)())
    monkeypatch.setattr(tables, "_REGISTERED", {})


@pytest.fixture
def fast_reads(monkeypatch: pytest.MonkeyPatch) -> list:
    """What numpy's reader gave for each file read since (None: it left the file to the
    careful pass)."""
    results: list = []
    read_fast = tables._read_fast

    def spy(*args):
        results.append(read_fast(*args))
        return results[-1]

    monkeypatch.setattr(tables, "_read_fast", spy)
    return results


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def good_rows(n: int = 6) -> str:
    """A valid body: two features and a text label of two classes."""
    return "".join(f"{i},{(i * 7) % 5},{'ab'[i % 2]}\n" for i in range(n))


# -- the shipped tables ---------------------------------------------------------------------


def test_digits_has_its_documented_shape_classes_and_picture():
    table = load_shipped("digits")
    assert (table.X.shape, table.y.shape, table.task) == ((1797, 64), (1797,), "classes")
    assert np.bincount(table.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert table.classes == tuple("0123456789") and table.outputs == 10
    assert table.image == (8, 8) and table.pixel_scale == 16.0
    assert table.features[:2] == ("p0_0", "p0_1") and table.features[-1] == "p7_7"
    assert set(np.unique(table.X)) <= set(range(17))
    assert np.flatnonzero(table.X.max(axis=0) == 0).tolist() == [0, 32, 39]


def test_digits_equals_its_file_read_a_second_way():
    with gzip.open(DATASETS / "digits.csv.gz", "rt", encoding="ascii") as fh:
        rows = [[int(cell) for cell in row] for row in csv.reader(fh)]
    table = load_shipped("digits")
    assert np.array_equal(table.X, np.array(rows)[:, :64])
    assert np.array_equal(table.y, np.array(rows)[:, 64])


@pytest.mark.parametrize(("name", "shape", "counts", "classes", "first"), [
    ("wine", (178, 13), [59, 71, 48], ("class_0", "class_1", "class_2"), "alcohol"),
    ("iris", (150, 4), [50, 50, 50], ("setosa", "versicolor", "virginica"), "sepal_length"),
])
def test_wine_and_iris_have_named_features_and_classes(name, shape, counts, classes, first):
    table = load_shipped(name)
    assert table.X.shape == shape and table.task == "classes" and table.source == name
    assert np.bincount(table.y).tolist() == counts and table.classes == classes
    assert table.features[0] == first and len(table.features) == shape[1]
    assert table.image is None and table.pixel_scale is None
    with (DATASETS / f"{name}.csv").open(encoding="ascii", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert np.array_equal(table.X, np.array([[float(c) for c in r[:-1]] for r in rows]))
    assert [classes[i] for i in table.y] == [r[-1] for r in rows]


def test_wine_keeps_the_values_of_its_source():
    table = load_shipped("wine")
    assert table.X[0].tolist() == [14.23, 1.71, 2.43, 15.6, 127, 2.8, 3.06, 0.28, 2.29, 5.64,
                                   1.04, 3.92, 1065]
    assert table.features[11] == "od280/od315_of_diluted_wines"


def test_shipped_tables_are_read_once_and_cannot_be_changed():
    table = load_shipped("iris")
    assert load_shipped("iris") is table
    with pytest.raises(ValueError, match="read-only"):
        table.X[0, 0] = 1.0


def test_an_unknown_shipped_name_is_one_error_line():
    with pytest.raises(TableError, match=r"^data: no shipped table 'mnist'; one of digits, "
                                         r"wine, iris$"):
        load_shipped("mnist")


def test_the_package_data_holds_every_shipped_file():
    """What importlib.resources finds installed, and the globs pyproject.toml ships."""
    tomllib = pytest.importorskip("tomllib")
    found = {f.name for f in resources.files("tui_symmetry.core.datasets").iterdir()}
    assert {"digits.csv.gz", "wine.csv", "iris.csv", "LICENSES.md"} <= found
    for name in ("digits.csv.gz", "wine.csv", "iris.csv"):
        assert (resources.files("tui_symmetry.core.datasets") / name).read_bytes()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]
    globs = package_data["tui_symmetry.core.datasets"]
    data_files = [p.name for p in DATASETS.iterdir() if p.suffix != ".py" and p.is_file()]
    assert data_files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in data_files)


def test_the_licences_name_every_source():
    text = (DATASETS / "LICENSES.md").read_text(encoding="utf-8")
    for words in ("BSD 3-Clause License", "The scikit-learn developers", "CC BY 4.0",
                  "Alpaydin", "Kaynak", "Forina", "Fisher", "10.24432/C5PC7J",
                  "10.24432/C56C76"):
        assert words in text, words


def _opened_datasets_after(code: str) -> list[str]:
    """The data files under core/datasets/ (not its package's own module) a fresh
    interpreter opens while running ``code``."""
    script = (
        "import json, sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: opened.append(str(args[0]))\n"
        "                 if event == 'open' and 'datasets' in str(args[0]) else None)\n"
        f"{code}\n"
        "print(json.dumps([p for p in opened if 'tui_symmetry' in p\n"
        "                  and not p.endswith(('.py', '.pyc'))]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=180, check=True, cwd=ROOT)
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_app_and_the_core_reads_no_table():
    assert _opened_datasets_after(
        "import tui_symmetry.core, tui_symmetry.core.tables, tui_symmetry.app.app") == []
    # The same hook sees a table being read.
    opened = _opened_datasets_after(
        "import tui_symmetry.core.tables as t\nt.load_shipped('iris')")
    assert [Path(p).name for p in opened] == ["iris.csv"]


# -- reading a CSV file ---------------------------------------------------------------------


def test_a_good_file_gives_its_table(tmp_path):
    path = write(tmp_path, "\ufeff a , b ,label\n1,2,x\n-0, 1e-3 ,y\n\n3,4,x\r\n5,6,y\n")
    table = load_csv(path)
    assert table.features == ("a", "b") and table.classes == ("x", "y")
    assert table.task == "binary" and table.outputs == 1 and table.source == str(path)
    assert table.X.tolist() == [[1, 2], [-0.0, 0.001], [3, 4], [5, 6]]
    assert table.y.tolist() == [0, 1, 0, 1]
    import hashlib
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_careful_reader_gives_what_numpys_gives(tmp_path, monkeypatch, fast_reads):
    text = 'a;b;"the y"\n 1.5 ;-2e-3; c \n\n3;4;"d"\r\n5;6;c\n7;+8;d\n9;1E3;c'
    fast = load_csv(write(tmp_path, text))
    assert fast_reads[0] is not None  # numpy read it
    monkeypatch.setattr(tables, "_read_fast", lambda *args: None)
    tables._CSV_CACHE.clear()
    slow = load_csv(write(tmp_path, text))
    assert fast.features == slow.features == ("a", "b")
    assert np.array_equal(fast.X, slow.X) and np.array_equal(fast.y, slow.y)
    assert fast.classes == slow.classes == ("c", "d")
    assert fast.X[:, 1].tolist() == [-0.002, 4, 6, 8, 1000]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_readers_agree_on_files_of_many_shapes(tmp_path, monkeypatch, fast_reads, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((30, 3)) * 10.0 ** rng.integers(-3, 4, (30, 3))
    spellings = [repr, lambda v: f" {v:.6g} ", lambda v: f"{v:.4e}", lambda v: f'"{v}"']
    lines = ["a;b;c;label"]
    for row in values.tolist():
        cells = [spellings[rng.integers(4)](v) for v in row] + [f"k{rng.integers(3)}"]
        lines.append(";".join(cells) + ("\r" if rng.random() < 0.3 else ""))
        if rng.random() < 0.1:
            lines.append("")
    text = "\n".join(lines) + "\n"
    fast = load_csv(write(tmp_path, text, "fast.csv"))
    assert fast_reads[0] is not None  # numpy read it
    monkeypatch.setattr(tables, "_read_fast", lambda *args: None)
    slow = load_csv(write(tmp_path, text, "slow.csv"))
    assert np.array_equal(fast.X, slow.X) and np.array_equal(fast.y, slow.y)
    assert fast.classes == slow.classes and fast.X.shape == (30, 3)


def test_a_quoted_delimiter_and_a_tab_file_are_read(tmp_path):
    table = load_csv(write(tmp_path, 'a,b,y\n1,2,"p,q"\n3,4,r\n5,6,"p,q"\n7,8,r\n'))
    assert table.classes == ("p,q", "r") and table.X[:, 1].tolist() == [2, 4, 6, 8]
    table = load_csv(write(tmp_path, "a\tb\ty\n1\t2\tr\n3\t4\ts\n5\t6\tr\n7\t8\ts\n", "t.tsv"))
    assert table.features == ("a", "b") and table.classes == ("r", "s")
    table = load_csv(write(tmp_path, "a,b,y\n1,2,#1\n3,4,#2\n5,6,#1\n7,8,#2\n", "h.csv"))
    assert table.classes == ("#1", "#2") and table.rows == 4  # '#' starts no comment


def test_target_chooses_the_column_to_learn(tmp_path):
    path = write(tmp_path, "age,y,height\n1.5,0,10\n2,1,30\n3,0,20\n4,1,50\n5,0,40\n")
    table = load_csv(path, target="age")
    assert table.features == ("y", "height") and table.task == "regression"
    assert table.y.tolist() == [1.5, 2, 3, 4, 5] and table.classes == ()
    assert load_csv(path, target="y").task == "binary"


def test_a_few_distinct_integers_are_classes_and_the_error_says_how_to_fit_them(tmp_path):
    path = write(tmp_path, "x,age\n1,30\n2,31\n3,30\n4,32\n5,31\n")
    with pytest.raises(TableError, match=r"target 'age': class '32' has 1 row; each class "
                                         r"needs at least 2 \(to train on and to test on\); "
                                         r"to fit it as a number: task regress$"):
        load_csv(path)
    assert load_csv(path, task="regress").y.tolist() == [30, 31, 30, 32, 31]


@pytest.mark.parametrize(("distinct", "task"), [(20, "classes"), (21, "regression")])
def test_auto_takes_up_to_20_distinct_integers_as_classes(tmp_path, distinct, task):
    body = "".join(f"{i},{i % distinct}\n" for i in range(2 * distinct))
    table = load_csv(write(tmp_path, "x,y\n" + body))
    assert table.task == task
    if task == "classes":
        assert table.classes == tuple(str(i) for i in range(distinct))


def test_numeric_classes_are_sorted_as_numbers_and_named_plainly(tmp_path):
    table = load_csv(write(tmp_path, "x,y\n1,10\n2,2.0\n3,10\n4,2\n5,-1\n6,-1\n"))
    assert table.classes == ("-1", "2", "10") and table.y.tolist() == [2, 1, 2, 1, 0, 0]


def test_auto_fits_a_number_that_is_not_an_integer(tmp_path):
    table = load_csv(write(tmp_path, "x,y\n1,0.5\n2,1\n3,0.5\n4,1\n"))
    assert table.task == "regression" and table.y.tolist() == [0.5, 1, 0.5, 1]


def test_task_classify_and_regress_override_auto(tmp_path):
    path = write(tmp_path, "x,y\n1,0.5\n2,1.5\n3,0.5\n4,1.5\n")
    table = load_csv(path, task="classify")
    assert table.task == "binary" and table.classes == ("0.5", "1.5")
    body = "".join(f"{i},{i % 3}\n" for i in range(9))
    assert load_csv(write(tmp_path, "x,y\n" + body, "b.csv"), task="regress").task == "regression"


def test_the_same_bytes_are_parsed_once_and_new_bytes_again(tmp_path, monkeypatch):
    path = write(tmp_path, "a,b,y\n" + good_rows())
    first = load_csv(path)
    assert load_csv(path) is first
    path.write_text("a,b,y\n" + good_rows(8), encoding="utf-8")
    assert load_csv(path).rows == 8


def test_a_registered_table_replays_without_its_file(tmp_path):
    path = write(tmp_path, "a,b,y\n" + good_rows())
    table = load_csv(path)
    tables.register(table.sha256, table)
    path.unlink()
    assert load_csv(path, sha256=table.sha256) is table
    assert tables.registered(table.sha256) is table
    with pytest.raises(ValueError, match="has sha256"):
        tables.register("0" * 64, table)


def test_a_file_changed_since_the_run_is_refused(tmp_path):
    path = write(tmp_path, "a,b,y\n" + good_rows())
    with pytest.raises(TableError, match=r"^data: .*t\.csv: changed since this run \(sha256 "
                                         r"was 000000000000…, is [0-9a-f]{12}…\)$"):
        load_csv(path, sha256="0" * 64)


# One test per message: (file text, the message after "data: FILE: ").
ERRORS = [
    ("", "empty: no header and no rows"),
    ("\n1,2\n", "line 1: empty; the first line names the columns"),
    ("1,2,3\n4,5,6\n", "line 1: no header: the first line has numbers where the column "
                       "names are needed"),
    ("y\n1\n2\n", "line 1: one column ('y'); a table needs at least one feature and a target"),
    ("a,,y\n", "line 1, column 2: no name"),
    ("a,b,a\n", "line 1: two columns are named 'a'"),
    ("a,b,y\n1,2,x\n", "1 rows; at least 4"),
    ("a,b,y\n" + good_rows(3) + "7,8\n" + good_rows(2), "line 5: 2 cells; the header has 3"),
    ("a,b,y\n" + good_rows(3) + "7,8,x,9\n", "line 5: 4 cells; the header has 3"),
    ("a,b,y\n" + good_rows(2) + "1,,x\n" + good_rows(2), "line 4, column 'b': empty"),
    ("a,b,y\n" + good_rows(2) + "1,abc,x\n" + good_rows(2),
     "line 4, column 'b': not a number ('abc')"),
    ("a;b;y\n1;2;x\n1,5;2;y\n" + "1;2;x\n3;4;y\n",
     "line 3, column 'a': not a number ('1,5') (a decimal comma? write 1.5, not 1,5)"),
    ("a,b,y\n1,2,x\n\n\nnan,2,y\n" + good_rows(3), "line 5, column 'a': not finite (nan)"),
    ("a,b,y\n1,2,x\n3,-inf,y\n" + good_rows(3), "line 3, column 'b': not finite (-inf)"),
    ("a,b,y\n" + good_rows(3) + "1,2, \n", "line 5, column 'y': empty"),
    ("a,b,y\n1,2,3\n2,3,4\n\n3,4,nan\n4,5,6\n", "line 5, column 'y': not finite (nan)"),
    ("a,b,y\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n", "target 'y' has one class ('x'); nothing to learn"),
    ("a,b,y\n1,2,x\n3,4,x\n5,6,x\n7,8,z\n",
     "target 'y': class 'z' has 1 row; each class needs at least 2 (to train on and to "
     "test on)"),
    ("a,b,y\n1,2,x\n1,4,y\n1,6,x\n1,8,y\n",
     "column 'a' is constant (1 in every row); it cannot tell rows apart"),
    ("a,b,y\n1,2,3.5\n2,4,3.5\n3,6,3.5\n4,8,3.5\n",
     "target 'y' is constant (3.5); nothing to learn"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[m[:32] for _, m in ERRORS])
def test_each_bad_file_is_one_line_naming_where(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(TableError) as caught:
        load_csv(path)
    assert str(caught.value) == f"data: {path}: {message}"
    assert "\n" not in str(caught.value)


def test_a_regression_target_that_is_not_a_number_names_its_line(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,3\n\n2,3,x\n3,4,5\n4,5,6\n")
    with pytest.raises(TableError) as caught:
        load_csv(path, task="regress")
    assert str(caught.value) == (f"data: {path}: line 4, column 'y': not a number ('x'); "
                                 "a regression needs numbers")


def test_too_many_classes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_CLASSES", 3)
    path = write(tmp_path, "a,y\n" + "".join(f"{i},{'pqrs'[i % 4]}\n" for i in range(8)))
    with pytest.raises(TableError, match=r": target 'y' has 4 classes; at most 3$"):
        load_csv(path)
    numeric = write(tmp_path, "a,y\n" + "".join(f"{i},{i % 4}\n" for i in range(8)), "n.csv")
    with pytest.raises(TableError, match=r"at most 3; to fit it as a number: task regress$"):
        load_csv(numeric, task="classify")


def test_not_utf8_and_nul_name_their_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b,y\n1,2,x\n3,4,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(TableError, match=r"latin\.csv: line 3: not UTF-8 text \(byte 0xe9\)$"):
        load_csv(path)
    path.write_bytes(b"a,b,y\n1,2,x\n3,4\x00,y\n")
    with pytest.raises(TableError, match=r": line 3: a NUL character; not a text file$"):
        load_csv(path)


def test_an_unknown_target_lists_the_columns(tmp_path):
    path = write(tmp_path, "a,b,y\n" + good_rows())
    with pytest.raises(TableError) as caught:
        load_csv(path, target="z")
    assert str(caught.value) == f"data: {path}: target: no column 'z' (columns: a, b, y)"


def test_an_unknown_task_is_refused(tmp_path):
    with pytest.raises(TableError, match=r": task 'guess'; one of auto, classify, regress$"):
        load_csv(write(tmp_path, "a,b,y\n" + good_rows()), task="guess")


def test_what_is_not_a_readable_file_is_refused_without_blocking(tmp_path):
    with pytest.raises(TableError, match=r"^data: cannot read .*nothing\.csv: No such file"):
        load_csv(tmp_path / "nothing.csv")
    with pytest.raises(TableError, match=r": not a regular file$"):
        load_csv(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(TableError, match=r"pipe\.csv: not a regular file$"):
        load_csv(fifo)  # a FIFO with no writer would block an open() for ever


# -- the limits -------------------------------------------------------------------------------


def test_a_file_over_64_mib_fails_before_it_is_opened(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(tables.MAX_BYTES + 1)  # sparse: no disk used
    monkeypatch.setattr(tables.os, "open", lambda *a, **k: pytest.fail("opened"))
    with pytest.raises(TableError) as caught:
        load_csv(path)
    assert str(caught.value) == f"data: {path}: 64 MiB; at most 64 MiB"  # 64 MiB + 1 byte
    with path.open("wb") as fh:
        fh.truncate(3 * 2**30 // 2)
    with pytest.raises(TableError, match=r": 1\.5 GiB; at most 64 MiB$"):
        load_csv(path)


def test_the_byte_limit_is_checked_before_anything_in_the_file(tmp_path, monkeypatch):
    text = "1,2\n" * 30  # no header: an error too, but the size is checked first
    monkeypatch.setattr(tables, "MAX_BYTES", len(text) - 1)
    with pytest.raises(TableError, match=r": 120 bytes; at most 119 bytes$"):
        load_csv(write(tmp_path, text))
    monkeypatch.setattr(tables, "MAX_BYTES", len(text))
    with pytest.raises(TableError, match="no header"):
        load_csv(write(tmp_path, text))


def test_the_feature_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_FEATURES", 2)
    assert load_csv(write(tmp_path, "a,b,y\n" + good_rows())).inputs == 2
    path = write(tmp_path, "a,b,c,y\n1,2,3,x\n", "wide.csv")
    with pytest.raises(TableError, match=r"wide\.csv: 3 features; at most 2$"):
        load_csv(path)
    # A line of a million names is refused before it is split into names.
    monkeypatch.setattr(tables.csv, "reader", lambda *a, **k: pytest.fail("split"))
    with pytest.raises(TableError, match=r"long\.csv: 1,000,000 features; at most 2$"):
        load_csv(write(tmp_path, ",".join(["n"] * 1_000_001) + "\n", "long.csv"))


def test_the_row_limit_is_counted_before_any_cell_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 6)
    assert load_csv(write(tmp_path, "a,b,y\n" + good_rows(6) + "\n\n")).rows == 6
    path = write(tmp_path, "a,b,y\n" + good_rows(6) + "1,oops,x\n", "long.csv")
    with pytest.raises(TableError, match=r"long\.csv: 7 rows; at most 6$"):
        load_csv(path)  # the bad cell on line 8 is never reached


def test_the_cell_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_CELLS", 12)
    assert load_csv(write(tmp_path, "a,b,y\n" + good_rows(6))).rows == 6
    path = write(tmp_path, "a,b,y\n" + good_rows(7), "big.csv")
    with pytest.raises(TableError, match=r"big\.csv: 14 cells \(7 rows × 2 features\); at "
                                         r"most 12$"):
        load_csv(path)


# -- the split --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_split_is_stratified_by_class(seed):
    table = load_shipped("wine")  # classes of 59, 71, 48 rows
    X_train, y_train, X_test, y_test = split_table(table, seed, 0.2, 178)
    assert np.bincount(y_test).tolist() == [12, 14, 10]  # round(n · 0.2)
    assert np.bincount(y_train).tolist() == [47, 57, 38]
    rows = {tuple(r) for r in table.X}
    assert len(rows) == 178
    assert {tuple(r) for r in np.concatenate([X_train, X_test])} == rows  # each row once
    truth = {tuple(x): y for x, y in zip(table.X, table.y, strict=True)}
    assert all(truth[tuple(x)] == y for x, y in zip(X_test, y_test, strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_subsample_keeps_every_class_in_both_splits(seed):
    table = load_shipped("digits")
    X_train, y_train, X_test, y_test = split_table(table, seed, 0.1, 40)
    assert len(y_train) + len(y_test) == 40
    assert (np.bincount(y_test, minlength=10) >= 1).all()
    assert (np.bincount(y_train, minlength=10) >= 1).all()
    assert X_train.shape == (len(y_train), 64) and X_test.shape == (len(y_test), 64)


def test_the_split_is_the_seeds_and_a_new_copy():
    table = load_shipped("iris")
    a = split_table(table, 3, 0.2, 150)
    b = split_table(table, 3, 0.2, 150)
    c = split_table(table, 4, 0.2, 150)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    a[0][0, 0] = -1.0  # the table's own arrays are not touched
    assert table.X.min() > 0


def test_class_shares_are_proportional_exact_and_at_least_two():
    counts = np.array([178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert class_shares(counts, 1797).tolist() == counts.tolist()
    assert class_shares(counts, 20).tolist() == [2] * 10
    for samples in (21, 100, 500, 1796):
        share = class_shares(counts, samples)
        assert share.sum() == samples and (share >= 2).all() and (share <= counts).all()
        ideal = 2 + (samples - 20) * (counts - 2) / (counts - 2).sum()
        assert np.abs(share - ideal).max() < 1  # largest remainder: within one of its due


def test_a_regression_split_draws_rows_and_keeps_two_to_train():
    table = Table(X=np.arange(20.0).reshape(10, 2), y=np.arange(10.0), features=("a", "b"),
                  classes=(), task="regression", source="t", sha256="")
    X_train, y_train, _, y_test = split_table(table, 0, 0.2, 8)
    assert (len(y_train), len(y_test)) == (6, 2)
    assert set(y_train) | set(y_test) <= set(range(10)) and not set(y_train) & set(y_test)
    assert np.array_equal(X_train[:, 0], 2 * y_train)
    assert len(split_table(table, 0, 0.9, 4)[1]) == 2


def test_split_refuses_what_it_cannot_draw():
    table = load_shipped("digits")
    with pytest.raises(TableError, match=r"^samples: 19 is too few for 10 classes; at least "
                                         r"20 \(2 of each\)$"):
        split_table(table, 0, 0.2, 19)
    with pytest.raises(TableError, match=r"^samples: 2,000; the table digits has 1,797 rows"):
        split_table(table, 0, 0.2, 2000)


# -- standardization ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_standardize_uses_the_training_split_alone(seed):
    X_train, _, X_test, _ = split_table(load_shipped("wine"), seed, 0.2, 178)
    A, B, mean, scale = standardize(X_train, X_test)
    for j in range(X_train.shape[1]):
        column = X_train[:, j].tolist()
        mu, sigma = statistics.fmean(column), statistics.pstdev(column)
        assert mean[j] == pytest.approx(mu, rel=1e-13)
        assert scale[j] == pytest.approx(sigma, rel=1e-12)
        assert A[:, j] == pytest.approx([(x - mu) / sigma for x in column], abs=1e-12)
        assert B[:, j] == pytest.approx([(x - mu) / sigma for x in X_test[:, j]], abs=1e-12)
    assert np.abs(A.mean(axis=0)).max() < 1e-14 and np.allclose(A.std(axis=0), 1.0)


def test_a_feature_constant_in_training_is_divided_by_one():
    X_train = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]])  # 0.1 · 3 / 3 is not 0.1
    A, B, mean, scale = standardize(X_train, np.array([[0.3, 3.0]]))
    assert A[:, 0].tolist() == [0.0, 0.0, 0.0] and scale[0] == 1.0 and mean[0] == 0.1
    assert B[0, 0] == 0.3 - 0.1


def test_image_pixels_share_one_scale():
    X_train, _, X_test, _ = split_table(load_shipped("digits"), 0, 0.2, 1797)
    A, B, mean, scale = standardize(X_train, X_test, scale=16.0)
    assert (scale == 16.0).all() and np.array_equal(mean, X_train.mean(axis=0))
    assert np.array_equal(A, X_train / 16 - (X_train / 16).mean(axis=0))  # a second way
    assert np.array_equal(B, X_test / 16 - (X_train / 16).mean(axis=0))
    assert (A[:, [0, 32, 39]] == 0).all()  # pixels blank in every image stay exactly 0
