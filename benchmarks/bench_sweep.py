"""Sweep benchmark (issue 7): the speed-up of ``tui-symmetry sweep`` on the machine's cores.

Runs two fixed grids of the default config (seeds 0-7) with --jobs 1 and with --jobs N
(the cores), each as a fresh command in its own process, and reports the wall-clock
speed-ups:

- a short grid, 8 runs × 6,000 steps: about 7 s of work.  Starting the command and its
  worker interpreters (about 1 s, the same with one worker or two) is a large share of
  it, which caps the speed-up near 1.65x even if the runs themselves scaled perfectly;
- a longer grid, 8 runs × 30,000 steps: about 25 s of work, a sweep worth waiting
  less for.  The target on 2 cores (at least 1.8x) is read on this one.

Other load on the machine lowers the speed-up: run it on an otherwise idle machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

SEEDS = ["--vary", "seed=0,1,2,3,4,5,6,7", "--csv"]
GRIDS = {"short": 6000, "long": 30000}
TARGET_GRID = "long"
TARGET_ON_TWO_CORES = 1.8


def wall_seconds(steps: int, jobs: int) -> float:
    """Wall time of the whole sweep command with ``jobs`` workers."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui_symmetry", "sweep", *SEEDS,
                    "--steps", str(steps), "--jobs", str(jobs)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    cores = os.cpu_count() or 1
    print(f"sweep benchmark: 8 runs of the default config (seeds 0-7), {cores} cores")
    for name, steps in GRIDS.items():
        one = wall_seconds(steps, 1)
        many = wall_seconds(steps, cores)
        speedup = one / many
        line = (f"  {name:5} grid, 8 x {steps:,} steps: --jobs 1 {one:5.1f} s, "
                f"--jobs {cores} {many:5.1f} s, speed-up {speedup:.2f}x")
        if cores == 2 and name == TARGET_GRID:
            verdict = "ok" if speedup >= TARGET_ON_TWO_CORES else "LOW"
            line += f"   target on 2 cores >= {TARGET_ON_TWO_CORES}x   {verdict}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
