"""Units view benchmark: what the maps cost the trainer, and what the gallery costs the wire.

1. Per snapshot, for H = 8, 64 and 256 (xor and sine, xavier init): the time of the
   unit maps (UnitMapper.maps), of the gradient norms and gaps, and of the units
   view's whole share of Trainer.snapshot(), next to the time of the whole snapshot;
   and the pickled size of a snapshot with and without the units view's fields (what
   crosses the pipe from the training process at every publish).
2. Bytes to the terminal: a UnitsGallery alone in a 120×40 headless Textual app is fed
   the snapshots of a training run at 20 per second (simulated time: a fake clock
   moves 1/20 s per snapshot, the throttles' trailing updates run on it when due, and
   the run trains as many steps between snapshots as the bare engine does in 1/20 s),
   and every screen update is rendered into the escape sequences a 24-bit terminal
   would receive (App._display, which a headless app skips, is overridden to do
   exactly what it does for a real terminal, counting instead of writing).  Reported
   with the byte budget off (every snapshot drawn) and at the default budget, with the
   picture updates per second and the UI time.

Run with ``python benchmarks/bench_units.py``.  Takes about half a minute.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["COLORTERM"] = "truecolor"  # the console renders 24-bit colour, as in bench_app
os.environ.pop("NO_COLOR", None)

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import pickle  # noqa: E402
import time  # noqa: E402

from textual._compositor import CompositorUpdate  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402

from tui_symmetry.app.widgets._throttle import FakeClock, FakeTimers  # noqa: E402
from tui_symmetry.app.widgets.units import DEFAULT_BYTE_RATE, UnitsGallery  # noqa: E402
from tui_symmetry.core import Config, Trainer  # noqa: E402
from tui_symmetry.core.gradients import gradient_gaps, gradient_norms  # noqa: E402
from tui_symmetry.core.metrics import unit_vectors  # noqa: E402
from tui_symmetry.core.network import loss_and_grads  # noqa: E402

COLUMNS, ROWS = 120, 40
FPS = 20
SECONDS = 6.0
TARGET_MS_H64 = 1.0
TARGET_BYTES_PER_S = 40_000


def per_call_ms(fn, repeat: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def snapshot_costs() -> None:
    print("(1) per snapshot                       maps    grads  units view  snapshot   "
          "pickled KB (without -> with)")
    for dataset in ("xor", "sine"):
        for hidden in (8, 64, 256):
            trainer = Trainer(Config(dataset=dataset, hidden=hidden, init="xavier"))
            trainer.step(200)
            repeat = 200 if hidden < 256 else 50
            trainer.snapshot()  # builds the trainer's UnitMapper
            params, mapper = trainer._buffers[trainer._current], trainer._mapper
            maps_ms = per_call_ms(
                lambda m=mapper, p=params, a=trainer.config.activation: m.maps(p, a), repeat)
            cfg, data = trainer.config, trainer.data
            _, grads = loss_and_grads(trainer.params, data.X_train, data.y_train,
                                      cfg.activation, cfg.loss)
            g = unit_vectors(grads)
            grads_ms = per_call_ms(lambda g=g: (gradient_norms(g), gradient_gaps(g)), repeat)
            share_ms = per_call_ms(trainer._unit_pictures, repeat)
            # As the app takes them: the saddle reading spaced by its cost.
            snap_ms = per_call_ms(lambda t=trainer: t.snapshot(max_reading_age=None), repeat)
            snap = trainer.snapshot()
            bare = dataclasses.replace(snap, unit_maps=None, grad_norms=None, grad_gaps=None)
            size, size_bare = len(pickle.dumps(snap)), len(pickle.dumps(bare))
            print(f"    {dataset:5s} H={hidden:<4d}                   {maps_ms:6.3f}  "
                  f"{grads_ms:6.3f}  {share_ms:9.3f}  {snap_ms:8.3f} ms   "
                  f"{size_bare / 1000:7.1f} -> {size / 1000:7.1f}")
    print(f"    target: maps of H=64 well under {TARGET_MS_H64:g} ms")


class CountingApp(App[None]):
    """A headless app that renders each update as a terminal would get it, and counts."""

    def __init__(self, gallery: UnitsGallery) -> None:
        super().__init__()
        self.gallery = gallery
        self.bytes_out = 0

    def compose(self) -> ComposeResult:
        yield self.gallery

    def _display(self, screen, renderable) -> None:  # type: ignore[override]
        # What App._display sends to a real terminal (not inline, no sync markers).
        if isinstance(renderable, CompositorUpdate):
            self.bytes_out += len(renderable.render_segments(self.console).encode())
        super()._display(screen, renderable)


def engine_steps_per_frame(config: Config) -> int:
    trainer = Trainer(config)
    trainer.step(500)
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:
        done += trainer.step(200)
    return max(1, round(done / (time.perf_counter() - start) / FPS))


def training_snapshots(config: Config, frames: int, steps: int) -> list:
    trainer = Trainer(config)
    snaps = []
    for version in range(1, frames + 1):
        trainer.step(steps)
        snaps.append(trainer.snapshot(version=version))
    return snaps


async def stream(snaps: list, byte_rate: float) -> tuple[float, float, float, float]:
    """(bytes/s, picture updates/s, estimate/actual, ms in show() per snapshot)."""
    clock = FakeClock(0.0)
    # The trailing updates run on simulated time too: with real timers, how many of
    # them fired between two frames depended on the machine's speed.
    timers = FakeTimers(clock)
    gallery = UnitsGallery(byte_rate=byte_rate, clock=clock, text_interval=0.25,
                           schedule=timers.schedule)
    app = CountingApp(gallery)
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        gallery.show(snaps[0])
        await pilot.pause()
        await pilot.pause()  # the column strips mount, then paint
        app.bytes_out = 0
        gallery.bytes_estimated = 0
        updates, last_shown, ui = 0, None, 0.0
        for snap in snaps[1:]:
            clock.advance(1 / FPS)
            start = time.perf_counter()
            timers.fire_due()  # trailing updates due since the last frame, then the new one
            gallery.show(snap)  # the gallery's own work; painting follows in pause()
            ui += time.perf_counter() - start
            await pilot.pause()
            if gallery._shown is not last_shown:
                updates += 1
                last_shown = gallery._shown
        seconds = (len(snaps) - 1) / FPS
        ratio = gallery.bytes_estimated / app.bytes_out if app.bytes_out else float("nan")
        return app.bytes_out / seconds, updates / seconds, ratio, ui / (len(snaps) - 1) * 1000


def wire_costs() -> None:
    frames = int(SECONDS * FPS) + 1
    print()
    print(f"(2) gallery alone at {COLUMNS}x{ROWS}, {FPS} snapshots/s for {SECONDS:g} s of "
          "training at the engine's rate")
    print("    run                                 budget      KB/s   pictures/s  "
          "estimate/actual  show() ms")
    runs = {
        "default (xor, symmetric + eps)": Config(),
        "xor xavier H=8": Config(init="xavier"),
        "xor xavier H=64": Config(init="xavier", hidden=64),
        "moons xavier H=16 lr 0.5": Config(dataset="moons", init="xavier", hidden=16, lr=0.5),
        "sine xavier H=8": Config(dataset="sine", init="xavier"),
    }
    for name, config in runs.items():
        steps = engine_steps_per_frame(config)
        snaps = training_snapshots(config, frames, steps)
        for rate in (0.0, DEFAULT_BYTE_RATE):
            per_s, pictures, ratio, ui_ms = asyncio.run(stream(snaps, rate))
            budget = "off" if rate == 0 else f"{rate / 1000:g} KB/s"
            verdict = "ok" if per_s <= TARGET_BYTES_PER_S else "OVER"
            print(f"    {name:34s} {budget:>10s}  {per_s / 1000:7.1f} {verdict:4s} "
                  f"{pictures:7.1f}       {ratio:8.2f}        {ui_ms:6.1f}   "
                  f"({steps} steps/snapshot)")
    print(f"    target: the whole app <= {TARGET_BYTES_PER_S / 1000:g} KB/s while training.  "
          "With the budget the pictures average byte_rate in the long run; a short window")
    print("    also holds the burst (1 s of byte_rate), the picture update still being paid "
          "off, and the numbers line (4/s).")


def main() -> int:
    snapshot_costs()
    wire_costs()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
