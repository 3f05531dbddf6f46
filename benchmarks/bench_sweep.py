"""Sweep benchmark: the speed-up of ``tui-symmetry sweep`` on the machine's cores.

Runs two fixed grids of the default config (seeds 0-7) with --jobs 1 and with --jobs N
(the cores), alternating, ROUNDS times each, every run a fresh command in its own
process, and reports the median wall-clock speed-ups:

- a short grid, 8 runs × 6,000 steps: a few seconds of work, of which starting the
  command, each worker's first scipy import and one worker idling at the end are a
  large share, the same with one worker or two;
- a longer grid, 8 runs × 30,000 steps: 12-16 s of work with one worker, a sweep worth
  waiting less for.  The target on 2 cores (at least 1.8x) is read on this one.

The machine's own ceiling is printed first: the same bare training run, once alone and
twice at once in separate processes.  No sweep can beat it; on a virtual machine whose
two cores slow each other down it is well under 2x.  Other load on the machine lowers
every figure: run it on an otherwise idle machine.

Each grid's line also splits its speed-up in two, from the CPU time the command and its
workers used: how many cores the sweep kept busy (its own doing: at most N, less when
a worker waits for work or for the command) and how much more CPU time the same runs
took with N at once than with one (the machine's doing: cores that slow each other
down, or a host that gives them less).  The speed-up is their ratio.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

SEEDS = ["--vary", "seed=0,1,2,3,4,5,6,7", "--csv"]
GRIDS = {"short": 6000, "long": 30000}
TARGET_GRID = "long"
TARGET_ON_TWO_CORES = 1.8
ROUNDS = 5
"""Each figure is the median of this many rounds (one round moves by a third here)."""


def children_cpu_seconds() -> float:
    """CPU time (user + system) of every finished child, and of theirs, so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sweep_seconds(steps: int, jobs: int) -> tuple[float, float]:
    """Wall and CPU time of the whole sweep command with ``jobs`` workers."""
    cpu = children_cpu_seconds()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui_symmetry", "sweep", *SEEDS,
                    "--steps", str(steps), "--jobs", str(jobs)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu_seconds() - cpu


CEILING_RUN = ("from tui_symmetry.core import Config, Trainer; "
               "Trainer(Config(seed=0)).step(30000)")


def ceiling(cores: int) -> float:
    """How much faster ``cores`` bare runs at once finish than one after another."""
    def together(count: int) -> float:
        start = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-c", CEILING_RUN])
                     for _ in range(count)]
        for process in processes:
            process.wait()
        return time.perf_counter() - start
    return statistics.median(cores * together(1) / together(cores) for _ in range(ROUNDS))


def main() -> int:
    cores = os.cpu_count() or 1
    print(f"sweep benchmark: 8 runs of the default config (seeds 0-7), {cores} cores")
    print(f"  the machine's ceiling: {cores} bare runs at once finish "
          f"{ceiling(cores):.2f}x faster than one after another")
    for name, steps in GRIDS.items():
        rounds = [(sweep_seconds(steps, 1), sweep_seconds(steps, cores))
                  for _ in range(ROUNDS)]
        speedups = sorted(one[0] / many[0] for one, many in rounds)
        speedup = statistics.median(speedups)
        busy = statistics.median(many[1] / many[0] for _, many in rounds)
        cpu_cost = statistics.median(many[1] / one[1] for one, many in rounds)
        (one, _), (many, _) = rounds[0]
        line = (f"  {name:5} grid, 8 x {steps:,} steps: speed-up {speedup:.2f}x (median of "
                f"{', '.join(f'{x:.2f}' for x in speedups)}; first round --jobs 1 {one:.1f} s,"
                f" --jobs {cores} {many:.1f} s)")
        if cores == 2 and name == TARGET_GRID:
            verdict = "ok" if speedup >= TARGET_ON_TWO_CORES else "LOW"
            line += f"   target on 2 cores >= {TARGET_ON_TWO_CORES}x   {verdict}"
        print(line)
        print(f"        cores kept busy with --jobs {cores}: {busy:.2f} of {cores}; CPU time "
              f"of the same runs with --jobs {cores} / --jobs 1: {cpu_cost:.2f} (medians)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
