"""CSV benchmark: how long `load_csv` takes on a table of the largest common size.

Writes, to a temporary directory, 100,000 rows of 10 random features (7 significant
digits) and a text label of three classes (about 11 MB, within every limit of
docs/contracts.md, "Tables"), and times:

1. ``load_csv`` on it, the median of ROUNDS reads of as many tables (each one's bytes
   differ, so none is answered from the cache), against TARGET_S; with the rows per
   second;
2. in the same rounds, interleaved, load_csv with numpy's reader turned off: the
   careful pass (the csv module, float() on every cell) it falls back on to name a bad
   cell; the ratio says what numpy's reader saves;
3. the same file with one bad cell on line 99,999: the time until its error line, which
   the front ends show before any training starts.

Absolute times depend on the machine and its load (the target is the figure the
product promises): run it on an otherwise idle machine.  Run with
``python benchmarks/bench_csv.py``; takes about half a minute.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from tui_symmetry.core import tables  # noqa: E402
from tui_symmetry.core.tables import TableError, load_csv  # noqa: E402

ROWS = 100_000
FEATURES = 10
ROUNDS = 3
TARGET_S = 2.0
BAD_LINE = 99_999


def write_table(path: Path, seed: int, bad_line: int | None = None) -> None:
    """ROWS rows of FEATURES features and a label c0, c1 or c2, under a header."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((ROWS, FEATURES))
    labels = rng.integers(0, 3, ROWS)
    lines = [",".join([*(f"x{j}" for j in range(FEATURES)), "label"])]
    lines += [",".join([*(f"{v:.7g}" for v in row), f"c{c}"])
              for row, c in zip(X.tolist(), labels.tolist(), strict=True)]
    if bad_line is not None:
        cells = lines[bad_line - 1].split(",")
        cells[3] = "n/a"
        lines[bad_line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def careful_load(path: Path) -> None:
    """load_csv with numpy's reader off: every file read by the careful pass alone, the
    one that names a bad cell (what load_csv would cost without the fast path)."""
    fast = tables._read_fast
    tables._read_fast = lambda *args: None
    try:
        load_csv(path)
    finally:
        tables._read_fast = fast


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        paths = [Path(scratch) / f"table{k}.csv" for k in range(2 * ROUNDS)]
        for k, path in enumerate(paths):
            write_table(path, seed=k)  # each file read once: none from the cache
        size_mb = paths[0].stat().st_size / 1e6
        print(f"CSV benchmark: {ROWS:,} rows × {FEATURES} features + a text label "
              f"({size_mb:.1f} MB), median of {ROUNDS}")
        loads, carefuls = [], []
        for fast, careful in zip(paths[::2], paths[1::2], strict=True):  # interleaved:
            loads.append(timed(lambda p=fast: load_csv(p)))  # load hits both alike
            carefuls.append(timed(lambda p=careful: careful_load(p)))
        load_s, plain_s = statistics.median(loads), statistics.median(carefuls)
        verdict = "under" if load_s < TARGET_S else "OVER"
        print(f"  load_csv              {load_s:6.2f} s  {ROWS / load_s:10,.0f} rows/s  "
              f"({verdict} the {TARGET_S:g} s target)")
        print(f"  the careful pass      {plain_s:6.2f} s  {ROWS / plain_s:10,.0f} rows/s  "
              f"(load_csv takes {load_s / plain_s:.2f}x its time)")
        bad = Path(scratch) / "bad.csv"
        write_table(bad, seed=99, bad_line=BAD_LINE)
        start = time.perf_counter()
        try:
            load_csv(bad)
        except TableError as exc:
            error_s = time.perf_counter() - start
            print(f"  a bad cell on line {BAD_LINE:,}: {error_s:.2f} s to the error line")
            print(f"    {exc}")
        else:
            print("  the bad file was read without an error")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
