"""Sweep benchmark (issue 7): the speed-up of ``tui-symmetry sweep`` on the machine's cores.

Runs one fixed grid (8 runs of the default config, 6000 steps each) with --jobs 1 and
with --jobs N (the cores), each as a fresh command in its own process, and reports the
wall-clock speed-up.  Target on 2 cores: at least 1.8x.  Other load on the machine
lowers the speed-up: run it on an otherwise idle machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

GRID = ["--vary", "seed=0,1,2,3,4,5,6,7", "--steps", "6000", "--csv"]
TARGET_ON_TWO_CORES = 1.8


def wall_seconds(jobs: int) -> float:
    """Wall time of the whole sweep command with ``jobs`` workers."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui_symmetry", "sweep", *GRID, "--jobs", str(jobs)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    cores = os.cpu_count() or 1
    one = wall_seconds(1)
    many = wall_seconds(cores)
    speedup = one / many
    print(f"sweep benchmark: 8 runs x 6000 steps (default config), {cores} cores")
    print(f"  --jobs 1: {one:6.1f} s    --jobs {cores}: {many:6.1f} s    speed-up {speedup:.2f}x")
    if cores == 2:
        verdict = "ok" if speedup >= TARGET_ON_TWO_CORES else "LOW"
        print(f"  target on 2 cores: >= {TARGET_ON_TWO_CORES}x   {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
