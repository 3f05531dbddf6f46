"""Engine benchmark (docs/architecture.md): ratios measured in one run, never absolute targets.

For each size (N samples, H hidden units) it times, interleaved and repeated:

* the engine: ``Trainer.step`` on ``Config(optimizer="sgd", lr=0.1, samples=N, hidden=H,
  test_fraction=0.2)`` (xor, tanh, BCE-with-logits), warmed up past 20,000 steps so the
  bounded history's recording cost is amortized as in a long run;
* a minimal inline numpy loop of the same math (matmul forward, tanh, BCE-with-logits
  loss, backprop, SGD update) on the same data and initial parameters;
* PyTorch eager (nn.Linear + tanh + BCEWithLogitsLoss + optim.SGD, one thread,
  float64), when torch is importable.

Each repetition times one chunk of steps of every contender back to back, so load from
other processes hits all of them alike; the ratio printed is the median over
repetitions of the per-repetition ratio.  It also prints the history buffer's bytes at
10**3 and 10**6 recorded steps, and checks that a symmetric-init run at each size stays
bit-exact (max_unit_gap == 0.0).

A second table, the instrument grid, times the engine against the minimal loop over
datasets × inits × sizes (xor, moons, spiral; symmetric copies with the default nudge
and Xavier; H = 8, 32 at N = 200 and H = 64 at N = 2000) and the hovering run of
``train --dataset moons --samples 200 --test-fraction 0 --hidden 32 --init xavier``,
each warmed up 20,000 steps, and the app's default run at its largest width,
``Config(hidden=256)``, warmed up 29,000 steps: its units split over the timed steps
(the tracker counts parts afresh at most steps, or every step in full).  The engine's
step includes every instrument that runs per step (the split tracker and the history).
``held`` is the share of the timed steps at which the tracker had pairs in doubt (units
hovering at the threshold) or counted in full; ``exact`` checks
that the tracker's events over the next 300 steps are those of a full count at every
step.

A third table, the wide kernel, times the step of a many-input, many-class network
(core/network.py ``kernel_for``: BLAS on the distinct units, scattered back) on a
synthetic table of digits' size (N = 1,437 rows, D = 64 features, C = 10 classes, H = 32,
tanh, softmax cross-entropy, SGD): the engine's kernel and optimizer update (the
Trainer's step without its instruments: the Trainer reads such tables once they ship)
against a minimal numpy loop of the same maths, softmax included, from the same start.
Rows: every unit distinct (Xavier), and every other unit a copy of its neighbour (the
copies must stay bit-identical).  ``agree`` is the largest parameter difference between
the two after the timed steps (the same maths: rounding only).

A fourth table, the digits, times the whole ``Trainer.step`` (kernel, update, split
tracker, history) on the shipped digits: ``Config(dataset="digits", samples=1797,
hidden=32, init="xavier", lr=0.5)``, a full batch of the 1,438 training images, warmed
up 8,192 steps, against the same minimal softmax loop from the run's own start; and
checks that a symmetric start without a nudge keeps its 32 copies bit-identical over
1,000 steps (max_unit_gap == 0.0, one distinct unit); ``exact`` checks the tracker's
events against a full count after every step over 300 steps of the timed run and of a
symmetric start nudged by 1e-2 while its units split.

A fifth table, the conv layer, times the whole ``Trainer.step`` of
``Config(dataset="digits", samples=1797, arch="conv", filters=16, kernel=3, init="xavier",
lr=0.5)`` (im2col, one product per distinct filter, the split tracker and the history)
against a minimal numpy loop of the same maths written plainly (the patches made once,
BLAS products, the same pooling slices, no distinct-filter rule), warmed up 2,048 steps;
and checks that 16 copies of one filter (symmetric init, epsilon 0) stay bit-identical
over 1,000 steps.

Run with ``make bench`` (or ``python benchmarks/bench_engine.py``).  Takes about three
minutes on a quiet machine (the grid two and a half).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import itertools  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from tui_symmetry.core import Config, Trainer  # noqa: E402
from tui_symmetry.core.history import History  # noqa: E402
from tui_symmetry.core.init import INIT_SCHEMES  # noqa: E402
from tui_symmetry.core.metrics import summarize, unit_vectors  # noqa: E402
from tui_symmetry.core.network import (  # noqa: E402
    ACTIVATIONS,
    LOSSES,
    ParamLayout,
    UnitMajorViews,
    Workspace,
    kernel_for,
    one_hot,
    with_ones,
)
from tui_symmetry.core.optim import make_optimizer  # noqa: E402

SIZES = ((200, 8), (200, 32), (2000, 64))
LR = 0.1
WARMUP_STEPS = 20_000
REPETITIONS = 9
CHUNK_SECONDS = 0.1
SYMMETRY_STEPS = 1_000
TARGET_VS_LOOP = 0.8
TARGET_VS_TORCH = 3.0
GRID_DATASETS = ("xor", "moons", "spiral")
GRID_INITS = ("symmetric", "xavier")
HOVERING = Config(dataset="moons", samples=200, test_fraction=0.0, hidden=32, init="xavier")
"""The run of the report whose units hover at the threshold (lr 0.2, the default)."""
SPLITTING = Config(hidden=256)
"""The app's defaults at H = 256, whose units split from about step 29,000 to 40,000."""
SPLITTING_WARMUP = 29_000
EXACT_STEPS = 300

WIDE_ROWS, WIDE_INPUTS, WIDE_CLASSES, WIDE_HIDDEN, WIDE_LR = 1437, 64, 10, 32, 0.5
DIGITS = Config(dataset="digits", samples=1797, hidden=WIDE_HIDDEN, init="xavier",
                epsilon=0.0, optimizer="sgd", lr=WIDE_LR)
"""The digits row: every image, 1,437 of them to train on (test fraction 0.2)."""
DIGITS_WARMUP = 8_192
"""Steps before timing: the history records every 16th step by then (its stride doubles
each time its 1,024 entries fill), as in a long run; at 500 it still recorded every step,
its test loss and symmetry index included (0.54x the loop then)."""

Runner = Callable[[int], None]


def engine_config(samples: int, hidden: int) -> Config:
    """The benchmarked configuration at one size."""
    return Config(optimizer="sgd", lr=LR, samples=samples, hidden=hidden, test_fraction=0.2)


def make_engine(trainer: Trainer) -> Runner:
    """A runner that advances the engine by n steps."""

    def run(n: int) -> None:
        if trainer.step(n) != n:
            raise RuntimeError("the benchmark run diverged")

    return run


def make_minimal_loop(trainer: Trainer, lr: float = LR) -> Runner:
    """A runner for the same math written as the shortest plain numpy loop."""
    X = trainer.data.X_train.copy()
    y = trainer.data.y_train.copy()
    p = trainer.params
    W1, b1, W2, b2 = p.W1.copy(), p.b1.copy(), p.W2.copy(), p.b2.copy()
    inv_n = 1.0 / len(X)

    def run(n: int) -> None:
        nonlocal W1, b1, W2, b2
        for _ in range(n):
            z = X @ W1.T + b1
            a = np.tanh(z)
            out = a @ W2.T + b2
            loss = float(np.mean(np.logaddexp(0.0, out) - out * y))
            d_out = (1.0 / (1.0 + np.exp(-out)) - y) * inv_n
            g_W2 = d_out.T @ a
            g_b2 = d_out.sum(axis=0)
            d_z = (d_out @ W2) * (1.0 - a * a)
            g_W1 = d_z.T @ X
            g_b1 = d_z.sum(axis=0)
            W1 = W1 - lr * g_W1
            b1 = b1 - lr * g_b1
            W2 = W2 - lr * g_W2
            b2 = b2 - lr * g_b2
        if not np.isfinite(loss):
            raise RuntimeError("the minimal loop diverged")

    return run


def make_torch(trainer: Trainer) -> Runner | None:
    """A runner for PyTorch eager on the same data and initial parameters, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    X = torch.tensor(trainer.data.X_train, dtype=torch.float64)
    y = torch.tensor(trainer.data.y_train, dtype=torch.float64)
    hidden, inputs = trainer.params.W1.shape
    layer1 = torch.nn.Linear(inputs, hidden, dtype=torch.float64)
    layer2 = torch.nn.Linear(hidden, 1, dtype=torch.float64)
    with torch.no_grad():
        p = trainer.params
        for layer, weight, bias in ((layer1, p.W1, p.b1), (layer2, p.W2, p.b2)):
            layer.weight.copy_(torch.from_numpy(weight.copy()))
            layer.bias.copy_(torch.from_numpy(bias.copy()))
    model = torch.nn.Sequential(layer1, torch.nn.Tanh(), layer2)
    criterion = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def run(n: int) -> None:
        for _ in range(n):
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            loss.backward()
            optimizer.step()

    return run


def time_chunk(run: Runner, n: int) -> float:
    """Steps per second of one chunk of n steps."""
    start = time.perf_counter()
    run(n)
    return n / (time.perf_counter() - start)


def chunk_size(run: Runner) -> int:
    """How many steps make a chunk of about CHUNK_SECONDS for this runner."""
    rate = time_chunk(run, 200)
    return max(50, int(rate * CHUNK_SECONDS))


def symmetric_gap(samples: int, hidden: int) -> float:
    """max_unit_gap after SYMMETRY_STEPS on the benchmark config with symmetric init."""
    config = engine_config(samples, hidden).replace(init="symmetric", epsilon=0.0)
    trainer = Trainer(config)
    trainer.step(SYMMETRY_STEPS)
    return trainer.snapshot().max_unit_gap


def history_bytes() -> dict[int, int]:
    """The default History's buffer bytes after 10**3 and 10**6 recorded steps."""
    history = History()
    sizes = {}
    for step in range(10**6 + 1):
        if step == history.next_step():
            history.append(step, 0.5, 0.5, 1.0)
        if step in (10**3, 10**6):
            sizes[step] = history.nbytes
    return sizes


def fmt_rate(rate: float) -> str:
    """Steps per second, compactly."""
    return f"{rate / 1000:7.1f}k/s" if rate >= 1000 else f"{rate:7.0f}/s"


def verdict(ratio: float | None, target: float) -> str:
    """A ratio with 'ok' or 'LOW' against its target ('skipped' without a ratio)."""
    if ratio is None:
        return "skipped"
    return f"{ratio:.2f}x {'ok' if ratio >= target else 'LOW'}"


def grid_configs() -> list[Config]:
    """The instrument grid: datasets × inits × sizes, the hovering run, the splitting
    run."""
    configs = [engine_config(samples, hidden).replace(dataset=dataset, init=init)
               for dataset in GRID_DATASETS for init in GRID_INITS
               for samples, hidden in SIZES]
    return [*configs, HOVERING, SPLITTING]


def events_exact(trainer: Trainer, steps: int) -> bool:
    """Whether the tracker's events over the next ``steps`` steps are those of a full
    count of distinct units after every step."""
    tracker = trainer.instruments.splits
    known = len(tracker.events)
    counts = [summarize(trainer.params, trainer.config.activation)["distinct_units"]]
    for _ in range(steps):
        trainer.step(1)
        counts.append(summarize(trainer.params, trainer.config.activation)["distinct_units"])
    expected = [(trainer.step_count - steps + k + 1, a, b)
                for k, (a, b) in enumerate(itertools.pairwise(counts)) if a != b]
    return tracker.events[known:] == expected


def instrument_grid() -> bool:
    """Print the instrument grid; True when every row is exact and at the target."""
    print()
    print("Instrument grid: the engine with every per-step instrument (split tracker,")
    print("history) against the minimal loop; warmed up 20,000 steps (H = 256: 29,000); "
          "medians of "
          f"{REPETITIONS} interleaved repetitions.")
    print()
    header = (f"{'dataset':>8} {'init':>10} {'size':>13} {'lr':>5} {'eng/loop':>11} "
              f"{'held':>6} {'exact':>6}")
    print(header)
    print("-" * len(header))
    all_ok = True
    for config in grid_configs():
        trainer = Trainer(config)
        engine = make_engine(trainer)
        engine(SPLITTING_WARMUP if config is SPLITTING else WARMUP_STEPS)
        runners = {"engine": engine, "loop": make_minimal_loop(trainer, config.lr)}
        chunks = {name: chunk_size(run) for name, run in runners.items()}
        tracker = trainer.instruments.splits
        tracker.flush()  # the warm-up's last held steps are not the timed ones
        held, start = tracker.pair_checks + tracker.full_counts, trainer.step_count
        rates: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(REPETITIONS):
            for name, run in runners.items():
                rates[name].append(time_chunk(run, chunks[name]))
        tracker.flush()
        share = ((tracker.pair_checks + tracker.full_counts - held)
                 / max(1, trainer.step_count - start))
        ratio = statistics.median(e / b for e, b in zip(rates["engine"], rates["loop"],
                                                        strict=True))
        exact = events_exact(trainer, EXACT_STEPS)
        # While 256 units split, no target: a full count alone costs ~5 loop steps.
        splitting = config is SPLITTING
        all_ok &= exact and (splitting or ratio >= TARGET_VS_LOOP)
        size = f"N={config.samples} H={config.hidden}"
        shown = f"{ratio:.2f}x" if splitting else verdict(ratio, TARGET_VS_LOOP)
        print(f"{config.dataset:>8} {config.init:>10} {size:>13} {config.lr:>5} "
              f"{shown:>11} {share:>6.0%} "
              f"{'yes' if exact else 'NO':>6}")
    print()
    print(f"target: eng/loop >= {TARGET_VS_LOOP}x in every row but H=256 (splitting: "
          "shown, no target), every row exact")
    return all_ok


def measure_size(samples: int, hidden: int) -> tuple[str, bool]:
    """One row of the table: every contender timed at one size, and whether the engine
    kept identical units bit-exact there."""
    trainer = Trainer(engine_config(samples, hidden))
    engine = make_engine(trainer)
    engine(WARMUP_STEPS)  # history stride grown: recording amortized as in a long run
    runners: dict[str, Runner] = {"engine": engine, "loop": make_minimal_loop(trainer)}
    torch_run = make_torch(trainer)
    if torch_run is not None:
        runners["torch"] = torch_run
    chunks = {name: chunk_size(run) for name, run in runners.items()}
    for name, run in runners.items():
        run(chunks[name])  # warm caches and allocators of every contender alike
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(REPETITIONS):
        for name, run in runners.items():
            rates[name].append(time_chunk(run, chunks[name]))
    median = {name: statistics.median(values) for name, values in rates.items()}
    vs_loop = statistics.median(e / b for e, b in zip(rates["engine"], rates["loop"],
                                                      strict=True))
    vs_torch = None
    if "torch" in rates:
        vs_torch = statistics.median(e / b for e, b in zip(rates["engine"], rates["torch"],
                                                           strict=True))
    gap = symmetric_gap(samples, hidden)
    exact = gap == 0.0
    row = (f"{f'N={samples} H={hidden}':>14} {fmt_rate(median['engine']):>10} "
           f"{fmt_rate(median['loop']):>10} "
           f"{fmt_rate(median['torch']) if vs_torch is not None else 'skipped':>10} "
           f"{verdict(vs_loop, TARGET_VS_LOOP):>11} "
           f"{verdict(vs_torch, TARGET_VS_TORCH):>11} "
           f"{'yes' if exact else f'NO {gap:.1e}':>10}")
    return row, exact


def print_heading() -> None:
    """What is measured, with what, and the table's header."""
    try:
        import torch

        torch_note = f"torch {torch.__version__}"
    except ImportError:
        torch_note = None
    print("Engine benchmark: xor, tanh, BCE-with-logits, sgd lr 0.1, full batch, float64,")
    print(f"one BLAS thread, {REPETITIONS} interleaved repetitions, medians; numpy "
          f"{np.__version__}, python {sys.version.split()[0]}")
    if torch_note is None:
        print("torch not installed: skipped")
    print()
    header = (f"{'size':>14} {'engine':>10} {'min loop':>10} {'torch':>10} "
              f"{'eng/loop':>11} {'eng/torch':>11} {'bit-exact':>10}")
    print(header)
    print("-" * len(header))


def wide_start(copies: bool) -> tuple[ParamLayout, np.ndarray, np.ndarray, np.ndarray]:
    """(layout, θ, X, labels): a synthetic digits-sized table and a Xavier start, with
    every other unit a copy of its neighbour when ``copies``."""
    rng = np.random.default_rng(64)
    X = rng.normal(0.0, 1.0 / np.sqrt(WIDE_INPUTS), (WIDE_ROWS, WIDE_INPUTS))
    labels = rng.integers(0, WIDE_CLASSES, WIDE_ROWS)
    layout = ParamLayout(WIDE_HIDDEN, WIDE_INPUTS, WIDE_CLASSES)
    theta = np.zeros(layout.size)
    p = layout.views(theta)
    p.W1[...], p.W2[...] = INIT_SCHEMES["xavier"].weights(WIDE_HIDDEN, WIDE_INPUTS,
                                                          WIDE_CLASSES, rng)
    if copies:  # H is even: unit 2k + 1 copies unit 2k
        p.W1[1::2], p.W2[:, 1::2] = p.W1[0::2], p.W2[:, 0::2]
    return layout, theta, X, labels


def make_wide_engine(layout: ParamLayout, theta: np.ndarray, X: np.ndarray,
                     labels: np.ndarray) -> tuple[Runner, Callable[[], np.ndarray]]:
    """The engine's step (kernel_for's kernel, then the SGD update) and its θ."""
    kernel, loss = kernel_for(layout), LOSSES["softmax"]
    XT1, Y = with_ones(X), one_hot(labels, layout.outputs)
    activation, optimizer = ACTIVATIONS["tanh"], make_optimizer("sgd", WIDE_LR, 0.0)
    buffers = (UnitMajorViews(layout, theta.copy()), UnitMajorViews(layout, theta.copy()))
    grad = UnitMajorViews(layout, np.zeros(layout.size))
    ws = Workspace(layout.hidden, XT1.shape[1])
    current = [0]

    def run(n: int) -> None:
        now = current[0]
        for _ in range(n):
            value = kernel(buffers[now], XT1, Y, activation, loss, grad, ws)
            optimizer.update(buffers[now].theta, grad.theta, buffers[1 - now].theta)
            now = 1 - now
        current[0] = now
        if not np.isfinite(value):
            raise RuntimeError("the wide engine diverged")

    return run, lambda: buffers[current[0]].theta


def make_wide_loop(layout: ParamLayout, theta: np.ndarray, X: np.ndarray,
                   labels: np.ndarray) -> tuple[Runner, Callable[[], np.ndarray]]:
    """The same maths as the shortest plain numpy loop (softmax cross-entropy, SGD)."""
    p = layout.views(theta.copy())
    W1, b1, W2, b2 = p.W1.copy(), p.b1.copy(), p.W2.copy(), p.b2.copy()
    Y = one_hot(labels, layout.outputs).T
    rows = np.arange(len(X))
    inv_n = 1.0 / len(X)

    def run(n: int) -> None:
        nonlocal W1, b1, W2, b2
        for _ in range(n):
            a = np.tanh(X @ W1.T + b1)
            out = a @ W2.T + b2
            shifted = out - out.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, labels]))
            d_out = (e / total - Y) * inv_n
            d_z = (d_out @ W2) * (1.0 - a * a)
            W2 = W2 - WIDE_LR * (d_out.T @ a)
            b2 = b2 - WIDE_LR * d_out.sum(axis=0)
            W1 = W1 - WIDE_LR * (d_z.T @ X)
            b1 = b1 - WIDE_LR * d_z.sum(axis=0)
        if not np.isfinite(loss):
            raise RuntimeError("the minimal loop diverged")

    def theta_now() -> np.ndarray:
        out = np.empty(layout.size)
        q = layout.views(out)
        q.W1[...], q.b1[...], q.W2[...], q.b2[...] = W1, b1, W2, b2
        return out

    return run, theta_now


def wide_kernel_table() -> bool:
    """The wide kernel against the minimal loop: rates, ratio, agreement, exactness."""
    print()
    print(f"Wide kernel: synthetic table N={WIDE_ROWS} D={WIDE_INPUTS} C={WIDE_CLASSES}, "
          f"H={WIDE_HIDDEN}, tanh, softmax, sgd lr {WIDE_LR}; kernel + update, no instruments")
    header = (f"{'start':>22} {'engine':>10} {'min loop':>10} {'eng/loop':>11} "
              f"{'agree':>9} {'copies':>8}")
    print(header)
    print("-" * len(header))
    all_ok = True
    for copies in (False, True):
        layout, theta, X, labels = wide_start(copies)
        engine, engine_theta = make_wide_engine(layout, theta, X, labels)
        loop, loop_theta = make_wide_loop(layout, theta, X, labels)
        runners = {"engine": engine, "loop": loop}
        rates = interleaved_rates(runners)
        ratio = statistics.median(e / b for e, b in zip(rates["engine"], rates["loop"],
                                                        strict=True))
        units = unit_vectors(layout.views(engine_theta()))
        exact = np.array_equal(units[0::2], units[1::2]) if copies else True
        # the timed runs took different numbers of steps: compare two fresh ones
        engine, engine_theta = make_wide_engine(layout, theta, X, labels)
        loop, loop_theta = make_wide_loop(layout, theta, X, labels)
        engine(200)
        loop(200)
        agree = float(np.abs(engine_theta() - loop_theta()).max())
        all_ok &= exact and ratio >= TARGET_VS_LOOP
        name = "every other a copy" if copies else "all distinct (xavier)"
        print(f"{name:>22} {fmt_rate(statistics.median(rates['engine'])):>10} "
              f"{fmt_rate(statistics.median(rates['loop'])):>10} "
              f"{verdict(ratio, TARGET_VS_LOOP):>11} {agree:>9.1e} "
              f"{('kept' if exact else 'BROKEN') if copies else '-':>8}")
    print(f"target: eng/loop >= {TARGET_VS_LOOP}x; copies kept bit-identical; agree: "
          "max |Δθ| after 200 steps from the same start")
    return all_ok


def digits_table() -> bool:
    """The Trainer on the shipped digits against the minimal softmax loop; copies kept."""
    print()
    trainer = Trainer(DIGITS)
    data = trainer.data
    layout = ParamLayout(DIGITS.hidden, DIGITS.input_dim, DIGITS.output_dim)
    print(f"Digits: N={len(data.X_train)} training images (full batch), "
          f"D={DIGITS.input_dim} C={DIGITS.output_dim} H={DIGITS.hidden}, tanh, softmax, "
          f"sgd lr {DIGITS.lr}; the Trainer's step (instruments included)")
    header = (f"{'size':>14} {'engine':>10} {'min loop':>10} {'eng/loop':>11} "
              f"{'agree':>9} {'bit-exact':>10} {'exact':>6}")
    print(header)
    print("-" * len(header))
    start = trainer.theta.copy()
    engine = make_engine(trainer)
    loop, _ = make_wide_loop(layout, start, data.X_train, data.y_train)
    engine(DIGITS_WARMUP)  # the history's stride grown past its first steps
    rates = interleaved_rates({"engine": engine, "loop": loop})
    ratio = statistics.median(e / b for e, b in zip(rates["engine"], rates["loop"],
                                                    strict=True))
    # the same maths from the same start: a fresh pair, 200 steps each
    fresh = Trainer(DIGITS)
    loop, loop_theta = make_wide_loop(layout, fresh.theta.copy(), data.X_train,
                                      data.y_train)
    make_engine(fresh)(200)
    loop(200)
    agree = float(np.abs(fresh.theta - loop_theta()).max())
    copies = Trainer(DIGITS.replace(init="symmetric"))
    copies.step(SYMMETRY_STEPS)
    facts = summarize(copies.params, DIGITS.activation)
    exact = facts["max_unit_gap"] == 0.0 and facts["distinct_units"] == 1
    # The tracker's events against a full count after every step: the timed run, and
    # a nudged symmetric start while its units split (steps 1-300).
    events = events_exact(trainer, EXACT_STEPS) and events_exact(
        Trainer(DIGITS.replace(init="symmetric", epsilon=1e-2)), EXACT_STEPS)
    print(f"{f'digits H={DIGITS.hidden}':>14} {fmt_rate(statistics.median(rates['engine'])):>10} "
          f"{fmt_rate(statistics.median(rates['loop'])):>10} "
          f"{verdict(ratio, TARGET_VS_LOOP):>11} {agree:>9.1e} "
          f"{'yes' if exact else 'NO':>10} {'yes' if events else 'NO':>6}")
    print(f"target: eng/loop >= {TARGET_VS_LOOP}x; bit-exact: symmetric init, epsilon 0, "
          f"{SYMMETRY_STEPS} steps, max_unit_gap == 0.0; agree: max |Δθ| after 200 steps; "
          f"exact: the tracker's events over {EXACT_STEPS} steps (the timed run, and a "
          "symmetric start nudged by 1e-2 from step 0) are a full count's")
    return exact and events and ratio >= TARGET_VS_LOOP


CONV = Config(dataset="digits", samples=1797, arch="conv", filters=16, kernel=3,
              init="xavier", epsilon=0.0, optimizer="sgd", lr=WIDE_LR)
"""The conv row: 16 filters of 3 × 3 on every training image (1,437)."""
CONV_WARMUP = 2_048


def make_conv_loop(trainer: Trainer) -> tuple[Runner, Callable[[], np.ndarray]]:
    """The conv maths as the shortest plain numpy loop: patches made once, BLAS
    products, the pooling slices, softmax cross-entropy, SGD (no distinct-filter rule)."""
    config, data = trainer.config, trainer.data
    k, K, C, P = config.kernel, config.filters, config.output_dim, config.positions
    images = data.X_train.reshape(-1, *config.shape.image)
    n, side = len(images), config.shape.image[0] - k + 1
    windows = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))
    patches = np.column_stack([windows.reshape(n * side * side, k * k),
                               np.ones(n * side * side)])  # (N·Q, k² + 1)
    Y = one_hot(data.y_train, C).T
    rows = np.arange(n)
    p = trainer.params
    F, W2, b2 = np.column_stack([p.W1, p.b1]), p.W2.copy(), p.b2.copy()
    inv_n = 1.0 / n

    def run(steps: int) -> None:
        nonlocal F, W2, b2
        for _ in range(steps):
            A = np.tanh(patches @ F.T).reshape(n, side, side, K)
            M = (A[:, 0::2, 0::2] + A[:, 1::2, 0::2] + A[:, 0::2, 1::2]
                 + A[:, 1::2, 1::2]) * 0.25
            h = M.transpose(0, 3, 1, 2).reshape(n, K * P)  # filter-major, as torch
            out = h @ W2.T + b2
            shifted = out - out.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, data.y_train]))
            d_out = (e / total - Y) * inv_n
            d_m = (d_out @ W2).reshape(n, K, side // 2, side // 2).transpose(0, 2, 3, 1) * 0.25
            d_a = np.empty_like(A)
            d_a[:, 0::2, 0::2] = d_a[:, 1::2, 0::2] = d_m
            d_a[:, 0::2, 1::2] = d_a[:, 1::2, 1::2] = d_m
            d_z = d_a.reshape(-1, K) * (1.0 - A.reshape(-1, K) ** 2)
            W2 = W2 - WIDE_LR * (d_out.T @ h)
            b2 = b2 - WIDE_LR * d_out.sum(axis=0)
            F = F - WIDE_LR * (d_z.T @ patches)
        if not np.isfinite(loss):
            raise RuntimeError("the minimal loop diverged")

    def theta_now() -> np.ndarray:
        out = np.empty(trainer.param_layout.size)
        q = trainer.param_layout.views(out)
        q.W1[...], q.b1[...], q.W2[...], q.b2[...] = F[:, :-1], F[:, -1], W2, b2
        return out

    return run, theta_now


def conv_table() -> bool:
    """The Trainer's conv step against the minimal im2col loop; copies of a filter kept."""
    print()
    trainer = Trainer(CONV)
    print(f"Conv: N={len(trainer.data.X_train)} training images (full batch), "
          f"K={CONV.filters} filters {CONV.kernel}x{CONV.kernel}, 2x2 average pool, "
          f"C={CONV.output_dim}, tanh, softmax, sgd lr {CONV.lr}; the Trainer's step "
          "(instruments included)")
    header = (f"{'size':>14} {'engine':>10} {'min loop':>10} {'eng/loop':>11} "
              f"{'agree':>9} {'bit-exact':>10}")
    print(header)
    print("-" * len(header))
    loop, _ = make_conv_loop(trainer)
    engine = make_engine(trainer)
    engine(CONV_WARMUP)  # the history's stride grown past its first steps
    rates = interleaved_rates({"engine": engine, "loop": loop})
    ratio = statistics.median(e / b for e, b in zip(rates["engine"], rates["loop"],
                                                    strict=True))
    fresh = Trainer(CONV)
    loop, loop_theta = make_conv_loop(fresh)
    make_engine(fresh)(200)
    loop(200)
    agree = float(np.abs(fresh.theta - loop_theta()).max())
    copies = Trainer(CONV.replace(init="symmetric"))
    copies.step(SYMMETRY_STEPS)
    facts = summarize(copies.params, CONV.activation)
    exact = facts["max_unit_gap"] == 0.0 and facts["distinct_units"] == 1
    print(f"{f'conv K={CONV.filters}':>14} {fmt_rate(statistics.median(rates['engine'])):>10} "
          f"{fmt_rate(statistics.median(rates['loop'])):>10} "
          f"{verdict(ratio, TARGET_VS_LOOP):>11} {agree:>9.1e} "
          f"{'yes' if exact else 'NO':>10}")
    print(f"target: eng/loop >= {TARGET_VS_LOOP}x; bit-exact: symmetric init, epsilon 0, "
          f"{SYMMETRY_STEPS} steps, max_unit_gap == 0.0; agree: max |Δθ| after 200 steps")
    return exact and ratio >= TARGET_VS_LOOP


def interleaved_rates(runners: dict[str, Runner]) -> dict[str, list[float]]:
    """Steps per second of every runner, REPETITIONS chunks each, interleaved."""
    chunks = {name: chunk_size(run) for name, run in runners.items()}
    for name, run in runners.items():
        run(chunks[name])
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(REPETITIONS):
        for name, run in runners.items():
            rates[name].append(time_chunk(run, chunks[name]))
    return rates


def main() -> int:
    started = time.perf_counter()
    print_heading()
    all_ok = True
    for samples, hidden in SIZES:
        row, exact = measure_size(samples, hidden)
        all_ok &= exact
        print(row)
    print()
    print(f"targets: eng/loop >= {TARGET_VS_LOOP}x at every size while bit-exact; "
          f"eng/torch >= {TARGET_VS_TORCH}x")
    print("(ratios: median over repetitions of the ratio within one repetition)")
    print("(bit-exact: symmetric init, epsilon 0, "
          f"{SYMMETRY_STEPS} steps, max_unit_gap == 0.0)")
    sizes = history_bytes()
    print()
    print(f"history buffer: {sizes[10**3]:,} bytes at 10^3 steps, "
          f"{sizes[10**6]:,} bytes at 10^6 steps "
          f"({'flat' if sizes[10**3] == sizes[10**6] else 'GROWS'})")
    grid_ok = instrument_grid()
    wide_ok = wide_kernel_table() & digits_table() & conv_table()
    print(f"total benchmark time: {time.perf_counter() - started:.0f} s")
    return 0 if all_ok and grid_ok and wide_ok and sizes[10**3] == sizes[10**6] else 1


if __name__ == "__main__":
    raise SystemExit(main())
