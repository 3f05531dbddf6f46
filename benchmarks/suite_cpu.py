"""Where the test suite spends its CPU: per file and per test, from the opt-in log.

On a shared, loaded machine wall time says little; CPU seconds (user + system, the
test process and the children it reaped) barely move with the load.  Run the suite
with the log on, then read it::

    rm -f /tmp/cpu.tsv
    TUI_SYMMETRY_TEST_CPU=/tmp/cpu.tsv .venv/bin/python -m pytest -n 2 -q
    .venv/bin/python benchmarks/suite_cpu.py /tmp/cpu.tsv [TOP]

Each line of the log is ``seconds<TAB>test id`` (tests/conftest.py writes it around
every test, setup and teardown included).  Collection and worker start-up are not in
it: compare the total with ``/usr/bin/time -v`` of the whole run.
"""

from __future__ import annotations

import collections
import sys


def main(argv: list[str]) -> int:
    """Print the total, the files by CPU, and the TOP costliest tests (default 40)."""
    if not argv or len(argv) > 2:
        print("usage: suite_cpu.py LOG [TOP]", file=sys.stderr)
        return 2
    top = int(argv[1]) if len(argv) > 1 else 40
    per_file: collections.Counter[str] = collections.Counter()
    per_test: list[tuple[float, str]] = []
    with open(argv[0]) as log:
        for line in log:
            seconds, test = line.rstrip("\n").split("\t", 1)
            per_file[test.split("::")[0]] += float(seconds)
            per_test.append((float(seconds), test))
    total = sum(per_file.values())
    print(f"total {total:.1f} s CPU over {len(per_test)} tests")
    for name, seconds in per_file.most_common(top):
        print(f"{seconds:8.1f} s {100 * seconds / total:5.1f} %  {name}")
    print()
    for seconds, test in sorted(per_test, reverse=True)[:top]:
        print(f"{seconds:8.2f} s  {test}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
