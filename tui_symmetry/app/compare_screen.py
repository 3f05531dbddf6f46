"""Compare inside the app: the current settings (A) and one changed option (B), side by side.

Both runs start from step 0 on the same data and seed and train in lockstep, as
``tui-symmetry compare`` does (tui_symmetry/compare.py), in a worker thread of the app;
each side shows its Weights and Similarity panels, and a line underneath gives the
verdict and B's units matched to A's (core/matching.py) against its chance level.
Esc goes back to the run, which was paused while comparing.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from tui_symmetry.app.numbers import format_fixed
from tui_symmetry.app.widgets import SimilarityPanel, WeightsPanel
from tui_symmetry.compare import verdict
from tui_symmetry.core.config import Config
from tui_symmetry.core.matching import Matching, match_runs
from tui_symmetry.core.trainer import Snapshot, Trainer

CHUNK = 50
"""Steps per side between two looks at the clock: a few ms of training."""
FRAME_SECONDS = 0.1
"""Least seconds between two pictures sent to the screen."""
MATCH_SECONDS = 1.0
"""Least seconds between two matchings (the chance level is a Monte-Carlo estimate)."""
MAX_STEPS = 1_000_000
"""Both runs stop here (a lecture compare is over long before)."""


def matching_text(matching: Matching) -> str:
    """B's units matched to A's, in words: the mean matched similarity and its chance."""
    if matching.reason is not None:
        return matching.reason
    return (f"B matched to A: mean similarity {format_fixed(matching.mean, 3)} "
            f"(chance {format_fixed(matching.chance, 3)} "
            f"± {format_fixed(matching.chance_std, 3)})")


class CompareScreen(Screen[None]):
    """Runs A and B side by side, trained in lockstep in a worker thread.

    Args:
        config_a: the run as it is (its settings, from step 0).
        config_b: the same with one option changed.
        change: what differs, in words ("init → xavier").
        steps: train up to this many steps (MAX_STEPS by default; tests pass a few).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back to the run"),
    ]

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-title, CompareScreen #compare-verdict,
    CompareScreen #compare-matching { height: auto; padding: 0 1; }
    CompareScreen #compare-title { text-style: bold; }
    CompareScreen #compare-sides { height: 1fr; }
    CompareScreen .compare-side { width: 1fr; }
    CompareScreen .compare-side > .box { height: 1fr; }
    """

    def __init__(self, config_a: Config, config_b: Config, change: str,
                 steps: int = MAX_STEPS) -> None:
        super().__init__()
        self.configs = (config_a, config_b)
        self.change = change
        self.steps = steps
        # Every number of a pair is drawn with it (text_interval=0), beside the verdict
        # of that very pair: throttled, panel A said 7/8 next to a verdict of 8.
        self.weights = (WeightsPanel(id="weights-a", text_interval=0),
                        WeightsPanel(id="weights-b", text_interval=0))
        self.similarities = (SimilarityPanel(id="similarity-a", text_interval=0),
                             SimilarityPanel(id="similarity-b", text_interval=0))
        self.title_line = Static(id="compare-title")
        self.verdict_line = Static(id="compare-verdict")
        self.matching_line = Static(id="compare-matching")
        self.snapshots: tuple[Snapshot, Snapshot] | None = None
        """The newest pair shown."""
        self.matching: Matching | None = None
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield self.title_line
        with Horizontal(id="compare-sides"):
            for index, side in enumerate("AB"):
                with Vertical(classes="compare-side"):
                    with Container(classes="box") as box:
                        box.border_title = f"{side} · Weights"
                        yield self.weights[index]
                    with Container(classes="box") as box:
                        box.border_title = f"{side} · Similarity"
                        yield self.similarities[index]
        yield self.verdict_line
        yield self.matching_line

    def on_mount(self) -> None:
        self.title_line.update(Text(f"Compare  A: the current settings  ·  B: {self.change}"
                                    "  (same data and seed; esc: back to the run)"))
        self._train()

    def on_unmount(self) -> None:
        self._stop.set()

    def action_close(self) -> None:
        self._stop.set()
        self.dismiss()

    @work(thread=True, exclusive=True, group="compare")
    def _train(self) -> None:
        """Train A and B in lockstep; send a pair of pictures every FRAME_SECONDS."""
        with np.errstate(all="ignore"):
            trainers = [Trainer(config) for config in self.configs]
            last_frame = last_match = -1.0
            matching: Matching | None = None
            while not self._stop.is_set():
                active = [t for t in trainers if t.step_count < self.steps and not t.diverged]
                for trainer in active:
                    trainer.step(min(CHUNK, self.steps - trainer.step_count))
                now = time.monotonic()
                if active and now - last_frame < FRAME_SECONDS:
                    continue
                last_frame = now
                if not active:  # the last pair: each saddle reading at its very step, as
                    for trainer in trainers:  # `compare` reports it, not a few steps before
                        trainer.instruments.forget_reading()
                pair = (trainers[0].snapshot(), trainers[1].snapshot())
                if matching is None or now - last_match >= MATCH_SECONDS or not active:
                    last_match = now
                    matching = match_runs(self.configs[0], pair[0].params,
                                          self.configs[1], pair[1].params)
                try:
                    self.app.call_from_thread(self.show, pair, matching)
                except RuntimeError:  # the app is closing
                    return
                if not active:
                    return

    def show(self, pair: tuple[Snapshot, Snapshot], matching: Matching) -> None:
        """Draw both runs and the verdict (on the UI thread)."""
        if not self.is_attached:
            return
        self.snapshots, self.matching = pair, matching
        for index, snapshot in enumerate(pair):
            self.weights[index].show(snapshot)
            self.similarities[index].show(snapshot)
        a, b = pair
        self.verdict_line.update(Text(f"step {a.step:,}  ·  "
                                      f"{verdict(a.summary(), b.summary())}"))
        self.matching_line.update(Text(matching_text(matching)))
