"""The one-unit search (core/one_unit.py) in a process of its own, at low priority.

Why a process: the training process used to run the search in a thread, and a thread
shares the interpreter lock with training.  On the digits the search is 1.7–2.4 s of
CPU (L-BFGS from 48 starts on 1,437 images), much of it Python between small numpy
calls, and while it ran the app trained at 0.35× the bare engine (benchmarks/
bench_app.py, "from launch").  A process of its own takes the other core instead; at
SEARCH_NICENESS the scheduler gives training the core first when both want the same
one.  The search is the same code on the same data with the same BLAS settings
(tui_symmetry/__init__.py pins them for every process), so the number is the same
number, to the bit.

The training process is a daemon of multiprocessing, which may not start processes of
its own that way, so this is a plain ``python -c`` subprocess: the Config goes in on
stdin and the OneUnitOptimum comes back on stdout, both pickled.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading

from tui_symmetry.core.config import Config
from tui_symmetry.core.one_unit import OneUnitOptimum, optimize

SEARCH_NICENESS = 10
"""How much lower than training the search runs (os.nice: 0 is the default, 19 the
lowest)."""

_ENTRY = ("import os; os.nice({nice}); "
          "from tui_symmetry.runner.search import serve; serve()")


class SearchApart:
    """Finds the one-unit optimum of a Config in a subprocess (call it; it blocks the
    calling thread only, which waits without the interpreter lock).  :meth:`close`
    ends a search still running and refuses new ones."""

    def __init__(self, niceness: int = SEARCH_NICENESS) -> None:
        self.niceness = niceness
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._closed = False

    def __call__(self, config: Config) -> OneUnitOptimum:
        """The optimum core.one_unit.optimize finds for ``config``, found apart."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the one-unit search was closed")
            self._process = process = subprocess.Popen(
                [sys.executable, "-c", _ENTRY.format(nice=int(self.niceness))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=_environment())
        try:
            out, err = process.communicate(pickle.dumps(config))
        finally:
            with self._lock:
                self._process = None
        if process.returncode:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise RuntimeError(f"the one-unit search failed ({process.returncode}): {last[0]}")
        found = pickle.loads(out)
        if not isinstance(found, OneUnitOptimum):
            raise RuntimeError("the one-unit search answered something else")
        return found

    def close(self) -> None:
        """End the search running now, if any; later calls fail."""
        with self._lock:
            self._closed = True
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()


def _environment() -> dict[str, str]:
    """The caller's environment, with this package importable as it is here."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def serve() -> None:
    """The subprocess's side: a pickled Config on stdin, its pickled optimum on stdout."""
    config = pickle.loads(sys.stdin.buffer.read())
    if not isinstance(config, Config):
        raise SystemExit("tui-symmetry: error: the one-unit search needs a Config")
    sys.stdout.buffer.write(pickle.dumps(optimize(config)))
    sys.stdout.buffer.flush()
