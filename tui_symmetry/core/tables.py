"""Tables: the shipped datasets (digits, wine, iris) and the user's own CSV file.

A :class:`Table` is a whole table before any split: features, labels or targets, names,
and where it came from.  :func:`split_table` draws a run's training and test rows from
it by seed (stratified by class), :func:`standardize` scales the features by the
training split alone (docs/maths.md, "Data").  The rules and limits of a CSV file are
docs/contracts.md, "Tables"; every refusal is one :class:`TableError` line naming the
file, and the line and column where there is one.

Nothing is read at import: a shipped table is read the first time it is asked for (and
kept), a CSV file when :func:`load_csv` is called.  Pure numpy and the standard library.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import gzip
import hashlib
import io
import math
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np

from tui_symmetry.core.data import STREAM_DATA, rng_for
from tui_symmetry.core.files import FileTooLarge, NotRegularFile, read_regular_file

MAX_BYTES = 64 * 2**20
"""The largest CSV file read, checked (os.stat) before a byte of it is."""
MAX_FEATURES = 512
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000
"""Rows × features: at the limit (100,000 rows of 20 features, or 31,250 of 64) a file
parses in 1.4-1.7 s on the project's 2-core machine, inside the 2 s the product
promises; 64 features at 100,000 rows would take five."""
MIN_ROWS = 4
MIN_CLASS_ROWS = 2
"""Each class at least twice: once to train on, once to test on (the split is stratified)."""
MAX_CLASSES = 50
MAX_AUTO_CLASSES = 20
"""``task="auto"``: a target of integers with at most this many distinct values is classes."""
TASKS = ("auto", "classify", "regress")
SHIPPED = ("digits", "wine", "iris")
"""The tables that ship with the package (core/datasets/, sources in LICENSES.md)."""

Task = Literal["binary", "classes", "regression"]

_DATASETS_PACKAGE = "tui_symmetry.core.datasets"
_SHIPPED_FILES = {"digits": "digits.csv.gz", "wine": "wine.csv", "iris": "iris.csv"}
_DIGITS_SIDE = 8
_DIGITS_PIXEL_MAX = 16.0
"""Digits pixels are counts of "on" bits in 4×4 blocks: 0 to 16 by construction."""
_CSV_CACHE_SIZE = 4
_DELIMITERS = (",", ";", "\t")
_QUOTE = '"'
_REGRESS_HINT = "; to fit it as a number: task regress"


class TableError(ValueError):
    """A table cannot be used; the message is one line: ``data: FILE: line L, column 'x':
    what``, the line and column where the file has one to point at."""


@dataclass(frozen=True, eq=False)
class Table:
    """A whole table before the split (its arrays are read-only: tables are shared).

    ``X`` is (R, D) float64, the features as read; ``y`` is (R,) int64 class indices into
    ``classes`` (binary and classes) or (R,) float64 targets (regression, ``classes`` is
    ``()``).  ``source`` is the shipped name or the CSV path as given; ``sha256`` the hex
    digest of the file's bytes.  Image tables give ``image`` (rows, columns) of a picture
    (row by row in the features) and ``pixel_scale``, the one number every pixel is
    divided by instead of its own standard deviation (:func:`standardize`).
    """

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    classes: tuple[str, ...]
    task: Task
    source: str
    sha256: str
    image: tuple[int, int] | None = None
    pixel_scale: float | None = None

    @property
    def rows(self) -> int:
        """R, the number of rows."""
        return int(self.X.shape[0])

    @property
    def inputs(self) -> int:
        """D, the number of features."""
        return int(self.X.shape[1])

    @property
    def outputs(self) -> int:
        """The network's outputs: one logit (binary), one per class, one target."""
        return len(self.classes) if self.task == "classes" else 1


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# -- the shipped tables ---------------------------------------------------------------------


@functools.cache
def load_shipped(name: str) -> Table:
    """The shipped table ``name`` (one of :data:`SHIPPED`), read once per process."""
    if name not in _SHIPPED_FILES:
        raise TableError(f"data: no shipped table {name!r}; one of {', '.join(SHIPPED)}")
    data = (resources.files(_DATASETS_PACKAGE) / _SHIPPED_FILES[name]).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if name == "digits":
        return _digits(data, digest)
    table = _parse_table(data, name, "", "classify", digest)
    return dataclasses.replace(table, source=name)


def _digits(data: bytes, digest: str) -> Table:
    raw = np.loadtxt(io.BytesIO(gzip.decompress(data)), delimiter=",", dtype=np.float64,
                     ndmin=2)
    side = _DIGITS_SIDE
    labels = raw[:, side * side].astype(np.int64)
    return Table(
        X=_frozen(np.ascontiguousarray(raw[:, :side * side])),
        y=_frozen(labels),
        features=tuple(f"p{r}_{c}" for r in range(side) for c in range(side)),
        classes=tuple(str(digit) for digit in range(10)),
        task="classes", source="digits", sha256=digest,
        image=(side, side), pixel_scale=_DIGITS_PIXEL_MAX,
    )


# -- CSV files -------------------------------------------------------------------------------

_CSV_CACHE: OrderedDict[tuple[str, str, str, str], Table] = OrderedDict()
_REGISTERED: dict[str, Table] = {}


def register(sha256: str, table: Table) -> None:
    """Keep ``table`` as the table whose file had these bytes (``sha256``), so a run
    that names that digest (an export being replayed) gets it without the file."""
    if table.sha256 != sha256:
        raise ValueError(f"table {table.source!r} has sha256 {table.sha256}, not {sha256}")
    _REGISTERED[sha256] = table


def registered(sha256: str) -> Table | None:
    """The table :func:`register` keeps under ``sha256``, if any."""
    return _REGISTERED.get(sha256)


def load_csv(path: str | os.PathLike[str], target: str = "", task: str = "auto",
             sha256: str = "") -> Table:
    """The table in the CSV file ``path`` (docs/contracts.md, "Tables").

    ``target`` names the column to learn (default: the last); ``task`` is ``auto``,
    ``classify`` or ``regress``.  ``sha256``, when given, is the digest the file had when
    a run was made: a table registered under it is returned without reading anything,
    and a file whose bytes have changed since is refused.  The same bytes, target and
    task are parsed once per process (the last few files are kept).
    """
    label = _printable(os.fspath(path))
    if task not in TASKS:
        raise TableError(f"data: {label}: task {task!r}; one of {', '.join(TASKS)}")
    if sha256 and sha256 in _REGISTERED:
        return _REGISTERED[sha256]
    data = _read_file(path, label)
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise TableError(f"data: {label}: changed since this run (sha256 was "
                         f"{sha256[:12]}…, is {digest[:12]}…)")
    key = (digest, label, target, task)
    if key in _CSV_CACHE:
        _CSV_CACHE.move_to_end(key)
        return _CSV_CACHE[key]
    table = _parse_table(data, label, target, task, digest)
    _CSV_CACHE[key] = table
    while len(_CSV_CACHE) > _CSV_CACHE_SIZE:
        _CSV_CACHE.popitem(last=False)
    return table


def _read_file(path: str | os.PathLike[str], label: str) -> bytes:
    """The file's bytes: its size and kind checked before it is opened (a 10 GB file
    fails at once; a FIFO would block the reader for ever), and again once open."""
    try:
        return read_regular_file(path, MAX_BYTES)
    except NotRegularFile:
        raise TableError(f"data: {label}: not a regular file") from None
    except FileTooLarge as exc:
        if exc.size is None:  # it grew after the stat
            raise TableError(f"data: {label}: over {_size(MAX_BYTES)}") from None
        raise TableError(f"data: {label}: {_size(exc.size)}; at most "
                         f"{_size(MAX_BYTES)}") from None
    except OSError as exc:
        raise TableError(f"data: cannot read {label}: {exc.strerror or exc}") from None


def _size(n: int) -> str:
    """A file size in words: ``1.2 GiB``, ``64 MiB``, ``100 bytes``."""
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 2**power:
            return f"{n / 2**power:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def _printable(text: str) -> str:
    """``text`` for a one-line message: control characters written as escapes."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _cell(text: str) -> str:
    """A cell quoted in a message, cut to a readable length."""
    text = text.strip()
    return repr(text if len(text) <= 24 else text[:23] + "…")


@dataclass(frozen=True)
class _Layout:
    """What the header says: the delimiter, the column names, which is the target."""

    label: str
    delimiter: str
    names: tuple[str, ...]
    target: int

    @property
    def feature_columns(self) -> list[int]:
        return [j for j in range(len(self.names)) if j != self.target]

    def at(self, line: int, column: int | None = None) -> str:
        """The start of a message about ``line`` (and the column at index ``column``)."""
        where = f"line {line}" if column is None else (
            f"line {line}, column '{self.names[column]}'")
        return f"data: {self.label}: {where}"


def _parse_table(data: bytes, label: str, target: str, task: str, digest: str) -> Table:
    """The whole reading of a CSV file's bytes, each rule in the order of the docs."""
    text = _decode(data, label)
    header, body = _split_header(text, label)
    layout = _layout(header, label, target)
    rows = sum(1 for line in body.split("\n") if line.strip())
    features = len(layout.names) - 1
    if rows > MAX_ROWS:
        raise TableError(f"data: {label}: {rows:,} rows; at most {MAX_ROWS:,}")
    if rows * features > MAX_CELLS:
        raise TableError(f"data: {label}: {rows * features:,} cells ({rows:,} rows × "
                         f"{features} features); at most {MAX_CELLS:,}")
    if rows < MIN_ROWS:
        raise TableError(f"data: {label}: {rows} rows; at least {MIN_ROWS}")
    parsed = _read_fast(body, layout, rows)
    X, cells = parsed if parsed is not None else _read_slow(body, layout)
    y, classes, kind = _target(cells, task, layout, body)
    _check_features(X, layout)
    names = tuple(layout.names[j] for j in layout.feature_columns)
    return Table(X=_frozen(X), y=_frozen(y), features=names, classes=classes, task=kind,
                 source=label, sha256=digest)


def _decode(data: bytes, label: str) -> str:
    """UTF-8 text, a byte-order mark skipped; NUL bytes refused (a binary file)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TableError(f"data: {label}: line {line}: not UTF-8 text (byte "
                         f"0x{data[exc.start]:02x})") from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise TableError(f"data: {label}: line {line}: a NUL character; not a text file")
    return text


def _split_header(text: str, label: str) -> tuple[str, str]:
    """(the first line, everything after it)."""
    if not text.strip():
        raise TableError(f"data: {label}: empty: no header and no rows")
    header, _, body = text.partition("\n")
    header = header.rstrip("\r")
    if not header.strip():
        raise TableError(f"data: {label}: line 1: empty; the first line names the columns")
    return header, body


def _layout(header: str, label: str, target: str) -> _Layout:
    """The header's rules: a delimiter, unique non-empty names, the target column."""
    # The delimiter the header uses most (',' on a tie): names hold none of them.
    delimiter = max(_DELIMITERS, key=header.count)
    if header.count(delimiter) > 2 * MAX_FEATURES:  # far over: not split into names at all
        raise TableError(f"data: {label}: {header.count(delimiter):,} features; at most "
                         f"{MAX_FEATURES:,}")
    names = tuple(name.strip() for name in next(csv.reader([header], delimiter=delimiter)))
    where = f"data: {label}: line 1"
    if all(_is_number(name) for name in names):
        raise TableError(f"{where}: no header: the first line has numbers where the "
                         "column names are needed")
    if len(names) < 2:
        raise TableError(f"{where}: one column ({_cell(names[0])}); a table needs at "
                         "least one feature and a target")
    for j, name in enumerate(names):
        if not name:
            raise TableError(f"{where}, column {j + 1}: no name")
        if name in names[:j]:
            raise TableError(f"{where}: two columns are named '{_printable(name)}'")
    if len(names) - 1 > MAX_FEATURES:
        raise TableError(f"data: {label}: {len(names) - 1:,} features; at most "
                         f"{MAX_FEATURES:,}")
    if target and target.strip() not in names:
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        raise TableError(f"data: {label}: target: no column '{_printable(target)}' "
                         f"(columns: {_printable(shown)})")
    index = names.index(target.strip()) if target else len(names) - 1
    return _Layout(label, delimiter, tuple(_printable(n) for n in names), index)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_fast(body: str, layout: _Layout, rows: int) -> tuple[np.ndarray, np.ndarray] | None:
    """numpy's reader: the features as floats, the target's cells as text; None when the
    file breaks any rule (the careful reader then finds where, for the message)."""
    columns = len(layout.names)
    options = {"delimiter": layout.delimiter, "comments": None, "quotechar": _QUOTE}
    try:
        with warnings.catch_warnings():
            # numpy notes each blank line it skips; blank lines are allowed here.
            warnings.filterwarnings("ignore", "Input line", UserWarning)
            X = np.loadtxt(io.StringIO(body), usecols=layout.feature_columns,
                           dtype=np.float64, ndmin=2, **options)
            cells = np.loadtxt(io.StringIO(body), usecols=[layout.target], dtype=str,
                               ndmin=1, **options)
    except ValueError:
        return None
    # numpy skips the cells past the columns it was asked for: a row with too many
    # cells shows only in the count of delimiters (a quoted one also sends the file on).
    if (X.shape[0] != rows or body.count(layout.delimiter) != rows * (columns - 1)
            or not np.isfinite(X).all() or (np.char.strip(cells) == "").any()):
        return None
    return np.ascontiguousarray(X), cells


def _read_slow(body: str, layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Row by row with the csv module: the first broken rule in file order, as a
    TableError naming its line and column; the same arrays as :func:`_read_fast`
    for a good file."""
    columns, target = len(layout.names), layout.target
    features, cells = [], []
    reader = csv.reader(io.StringIO(body), delimiter=layout.delimiter, quotechar=_QUOTE)
    try:
        for row in reader:
            line = reader.line_num + 1  # the header is line 1
            if len(row) <= 1 and not "".join(row).strip():
                continue  # a blank line
            if len(row) != columns:
                raise TableError(f"{layout.at(line)}: {len(row)} cells; the header has "
                                 f"{columns}")
            try:
                values = [float(cell) for j, cell in enumerate(row) if j != target]
            except ValueError:
                values = []
            if (len(values) != columns - 1 or not row[target].strip()
                    or not all(map(math.isfinite, values))):
                raise _row_error(row, layout, line)
            features.append(values)
            cells.append(row[target])
    except csv.Error as exc:
        raise TableError(f"{layout.at(reader.line_num + 1)}: {exc}") from None
    return np.array(features, dtype=np.float64), np.array(cells, dtype=str)


def _row_error(row: list[str], layout: _Layout, line: int) -> TableError:
    """The error of the first bad cell of a row known to have one, left to right."""
    for j, cell in enumerate(row):
        text = cell.strip()
        where = layout.at(line, j)
        if not text:
            return TableError(f"{where}: empty")
        if j == layout.target:
            continue
        if not _is_number(text):
            hint = " (a decimal comma? write 1.5, not 1,5)" if _decimal_comma(text) else ""
            return TableError(f"{where}: not a number ({_cell(text)}){hint}")
        if not math.isfinite(float(text)):
            return TableError(f"{where}: not finite ({text})")
    raise AssertionError(f"line {line} has no bad cell")  # the caller saw one


def _decimal_comma(text: str) -> bool:
    return text.count(",") == 1 and _is_number(text.replace(",", "."))


def _target(cells: np.ndarray, task: str, layout: _Layout,
            body: str) -> tuple[np.ndarray, tuple[str, ...], Task]:
    """(y, classes, task) from the target's cells; ``task`` auto decides (docs)."""
    cells = np.char.strip(cells)
    numbers = _numbers(cells)
    regress = task == "regress" or (task == "auto" and numbers is not None and not (
        np.isfinite(numbers).all() and (numbers == np.floor(numbers)).all()
        and len(np.unique(numbers)) <= MAX_AUTO_CLASSES))
    if regress:
        return _regression_target(cells, numbers, layout, body), (), "regression"
    if numbers is not None and np.isfinite(numbers).all():
        values, y = np.unique(numbers, return_inverse=True)
        classes = tuple(_number_name(v) for v in values)
    else:
        names, y = np.unique(cells, return_inverse=True)
        classes = tuple(_printable(str(name)) for name in names)
    what = f"data: {layout.label}: target '{layout.names[layout.target]}'"
    if len(classes) == 1:
        raise TableError(f"{what} has one class ('{classes[0]}'); nothing to learn")
    if len(classes) > MAX_CLASSES:
        hint = _REGRESS_HINT if numbers is not None else ""
        raise TableError(f"{what} has {len(classes):,} classes; at most {MAX_CLASSES}{hint}")
    _check_classes(y, classes, layout, numeric=numbers is not None)
    return y.astype(np.int64), classes, "binary" if len(classes) == 2 else "classes"


def _numbers(cells: np.ndarray) -> np.ndarray | None:
    """The cells as float64 (what float() reads), or None if any is not a number."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        return None


def _number_name(value: float) -> str:
    """A numeric class label's name: ``3`` for 3.0, ``0.5`` for 0.5."""
    return str(int(value)) if value == math.floor(value) and abs(value) < 2**53 else repr(
        float(value))


def _regression_target(cells: np.ndarray, numbers: np.ndarray | None, layout: _Layout,
                       body: str) -> np.ndarray:
    what = layout.names[layout.target]
    if numbers is None:
        row = next(i for i, cell in enumerate(cells) if not _is_number(str(cell)))
        raise TableError(f"{layout.at(_line_of_row(body, layout, row), layout.target)}: "
                         f"not a number ({_cell(str(cells[row]))}); a regression needs "
                         "numbers")
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        raise TableError(f"{layout.at(_line_of_row(body, layout, int(bad[0])), layout.target)}"
                         f": not finite ({cells[bad[0]]})")
    if (numbers == numbers[0]).all():
        raise TableError(f"data: {layout.label}: target '{what}' is constant "
                         f"({numbers[0]:g}); nothing to learn")
    return numbers


def _line_of_row(body: str, layout: _Layout, row: int) -> int:
    """The file line of data row ``row`` (0-based, blank lines skipped): only for an
    error message, so the file is walked again."""
    reader = csv.reader(io.StringIO(body), delimiter=layout.delimiter, quotechar=_QUOTE)
    seen = -1
    for cells in reader:
        if len(cells) <= 1 and not "".join(cells).strip():
            continue
        seen += 1
        if seen == row:
            return reader.line_num + 1
    raise AssertionError(f"no data row {row}")  # the rows were counted from this text


def _check_features(X: np.ndarray, layout: _Layout) -> None:
    constant = np.flatnonzero((X[0] == X).all(axis=0))
    if len(constant):
        j = int(constant[0])
        name = layout.names[layout.feature_columns[j]]
        raise TableError(f"data: {layout.label}: column '{name}' is constant ({X[0, j]:g} "
                         "in every row); it cannot tell rows apart")


def _check_classes(y: np.ndarray, classes: tuple[str, ...], layout: _Layout,
                   numeric: bool) -> None:
    counts = np.bincount(y, minlength=len(classes))
    small = np.flatnonzero(counts < MIN_CLASS_ROWS)
    if len(small):
        c = int(small[0])
        raise TableError(f"data: {layout.label}: target '{layout.names[layout.target]}': "
                         f"class '{classes[c]}' has {counts[c]} row; each class needs at "
                         f"least {MIN_CLASS_ROWS} (to train on and to test on)"
                         f"{_REGRESS_HINT if numeric else ''}")


# -- split and standardization ---------------------------------------------------------------


def split_table(table: Table, seed: int, test_fraction: float,
                samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A run's rows of ``table``: (X_train (N, D), y_train (N,), X_test (M, D), y_test (M,)),
    N + M = ``samples``, drawn by ``seed`` from the data stream (docs/maths.md, "Data").

    Classes (binary too) are stratified: ``samples`` rows are shared out over the classes
    in proportion to their sizes, at least 2 each; of a class's n rows round(n ·
    ``test_fraction``) are test rows, at least one and at most n − 1 when the fraction
    is above 0, so every class is in both splits.  A regression draws ``samples`` rows
    and round(samples · ``test_fraction``) of them, at most samples − 2, are test rows.
    Both splits come in a random order.  The arrays are new (writable) copies.
    """
    if not MIN_ROWS <= samples <= table.rows:
        raise TableError(f"samples: {samples:,}; the table {table.source} has "
                         f"{table.rows:,} rows (use {MIN_ROWS} to {table.rows:,})")
    if not 0.0 <= test_fraction < 1.0:
        raise TableError(f"test fraction: {test_fraction}; a number in [0, 1)")
    rng = rng_for(seed, STREAM_DATA)
    if table.task == "regression":
        chosen = rng.permutation(table.rows)[:samples]
        n_test = min(round(samples * test_fraction), samples - 2)
        train, test = chosen[n_test:], chosen[:n_test]
    else:
        train, test = _stratified(table, samples, test_fraction, rng)
    return table.X[train], table.y[train], table.X[test], table.y[test]


def _stratified(table: Table, samples: int, test_fraction: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, test): per class in class order one permutation of its rows,
    whose first rows are taken, the test rows first; then each split shuffled."""
    C = len(table.classes)
    if samples < MIN_CLASS_ROWS * C:
        raise TableError(f"samples: {samples:,} is too few for {C} classes; at least "
                         f"{MIN_CLASS_ROWS * C} ({MIN_CLASS_ROWS} of each)")
    counts = np.bincount(table.y, minlength=C)
    take = class_shares(counts, samples)
    train, test = [], []
    for c in range(C):
        chosen = rng.permutation(np.flatnonzero(table.y == c))[:take[c]]
        n_test = round(int(take[c]) * test_fraction)
        if test_fraction > 0:
            n_test = min(max(n_test, 1), int(take[c]) - 1)
        test.append(chosen[:n_test])
        train.append(chosen[n_test:])
    train_rows, test_rows = np.concatenate(train), np.concatenate(test)
    return train_rows[rng.permutation(len(train_rows))], test_rows[rng.permutation(len(test_rows))]


def class_shares(counts: np.ndarray, samples: int) -> np.ndarray:
    """How many rows of each class a run of ``samples`` rows takes: (C,) int64, summing
    to ``samples``, each at least 2 and at most its count (``samples`` ≤ the total).

    Each class gets 2, and the rest is shared in proportion to the rows beyond 2 by the
    largest remainder (ties to the earlier class), in integers, so it is exact: all rows
    when ``samples`` is the table's size.
    """
    counts = np.asarray(counts, dtype=np.int64)
    base = np.full_like(counts, MIN_CLASS_ROWS)
    spare = counts - base
    extra = samples - int(base.sum())
    if extra == 0:
        return base
    quota, remainder = np.divmod(extra * spare, int(spare.sum()))
    left = extra - int(quota.sum())
    quota[np.argsort(-remainder, kind="stable")[:left]] += 1
    return base + quota


def standardize(X_train: np.ndarray, X_test: np.ndarray, scale: float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train', X_test', mean, scale): X_train (N, D) and X_test (M, D) minus the
    training split's mean (D,), divided by scale (D,) (docs/maths.md, "Data").

    ``scale=None``: each feature's population standard deviation over the training split
    (ddof 0); a feature constant in the training split is divided by 1 and its mean is
    exactly its value, so it is exactly 0 there.  A number (an image table's
    ``pixel_scale``): every feature divided by that one number, so pixels keep one scale.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    constant = (X_train == X_train[:1]).all(axis=0)
    mean = X_train.mean(axis=0)
    mean[constant] = X_train[0, constant]
    if scale is None:
        spread = X_train.std(axis=0)
        spread[constant | (spread == 0)] = 1.0
    else:
        spread = np.full(X_train.shape[1], float(scale))
    return (X_train - mean) / spread, (X_test - mean) / spread, mean, spread
