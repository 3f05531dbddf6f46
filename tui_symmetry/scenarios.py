"""Built-in scenarios: named runs with a caption, for a lecture.

A scenario is a run configuration plus what to say about it: a two- or three-sentence
caption (what to watch, what it means), the step by which its point is made, and
optionally a narration speed and a step at which the scene pauses itself.  The order of
:data:`SCENARIOS` is the order of a lecture (next / previous scene).

Each caption's claim is checked by ``tests/test_scenarios.py``, which runs the scenario
headless on seeds 0 to 4 and asserts what the caption promises: change a configuration
here and that test tells you whether the story still holds, for more than one start
(the digits scenes take seconds a seed: ``make test`` checks seed 0, ``make test-seeds``
the others).
A caption says what every one of those runs shows, so ``R`` (reset with the next seed)
in the app retells the story with other numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.settings import SPEED, VIEWS


class UnknownScenario(ValueError):
    """A scenario name that is not built in; the message lists the names that are."""


@dataclass(frozen=True)
class Scenario:
    """One scene of a lecture: a run, a caption and when its point is made.

    ``point_step`` is the step by which the caption's claim holds (the tests run the
    scenario to it).  ``speed`` (steps per second, None: as the user set it) slows a
    scene down enough to narrate; ``pause_at`` is a step at which the scene stops
    itself so the lecturer can talk (None: it runs on).  ``view`` is the app's view the
    caption talks about (settings.VIEWS): opening the scene opens it, and the caption
    says only what that view and the status line show at the pause.
    """

    name: str
    title: str
    config: Config
    caption: str
    point_step: int
    speed: float | None = None
    pause_at: int | None = None
    view: str = "all"
    experiment: tuple[str, tuple[tuple[str, Any], ...]] | None = None
    """The experiment the caption talks about (experiments/registry.py) and its options:
    ``x`` on this scene opens it with them, ``experiment NAME --scenario`` runs it."""

    def __post_init__(self) -> None:
        if self.point_step < 1:
            raise ValueError(f"{self.name}: point_step must be >= 1")
        if self.pause_at is not None and self.pause_at < 0:
            raise ValueError(f"{self.name}: pause_at must be >= 0")
        if self.speed is not None:
            SPEED.coerce(self.speed)
        if self.view not in VIEWS:
            raise ValueError(f"{self.name}: view must be one of {', '.join(VIEWS)}")

    def experiment_options(self, name: str) -> dict[str, Any]:
        """The options this scene gives experiment ``name`` (``steps``: its runs' steps,
        when the scene says), or none when the scene names another experiment."""
        if self.experiment is None or self.experiment[0] != name:
            return {}
        return dict(self.experiment[1])

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the defaults, in the order of the settings table."""
        defaults = Config().to_dict()
        return {name: value for name, value in self.config.to_dict().items()
                if value != defaults[name]}


def _scenario(name: str, title: str, caption: str, point_step: int, *,
              speed: float | None = None, pause_at: int | None = None, view: str = "all",
              experiment: tuple[str, dict[str, Any]] | None = None,
              **changes: Any) -> Scenario:
    named = None if experiment is None else (experiment[0], tuple(experiment[1].items()))
    return Scenario(name, title, Config().replace(**changes), caption, point_step,
                    speed, pause_at, view, named)


_ALL = (
    _scenario(
        "symmetric-stays", "Identical copies stay identical",
        "Every hidden unit starts as an exact copy of one unit. Each copy gets the same "
        "gradient, so they stay copies to the last bit: the Similarity panel stays one "
        "solid block with a max unit gap of exactly 0.0. The loss can come down only as "
        "far as the one-unit line, never below it: copies do no better than one unit.",
        3000, speed=250, pause_at=3000, view="all",
        init="symmetric", epsilon=0.0,
    ),
    _scenario(
        "zero-stuck", "All-zero init: no gradient, the loss stays ln 2",
        "Every weight starts at exactly zero and the activation is tanh. tanh(0) = 0, so "
        "the hidden units output nothing and pass no gradient back: every unit stays "
        "dead (†, no weights, in the Weights panel) and the loss stays at ln 2 = 0.693 "
        "for good.",
        1000, speed=100, pause_at=1000, view="all",
        init="zeros", epsilon=0.0,
    ),
    _scenario(
        "epsilon-split", "A tiny nudge grows until the copies split",
        "Copies of one unit plus a random nudge of size 1e-4. While they are alike the "
        "loss sits on a plateau above the one-unit line, and the spread of the units "
        "climbs on its log axis: the saddle multiplies their difference, step after "
        "step. Then the units split (marked) and the loss drops below the one-unit line.",
        # How long the plateau lasts depends on the start: the loss is 0.05 below the
        # line by step 1,440 to 2,028 on seeds 0, 1, 2 and 4, by 3,832 on seed 3.
        4000, speed=200, pause_at=4000, view="loss",
        init="symmetric", epsilon=1e-4,
    ),
    _scenario(
        "random-breaks", "Random init: different from the start",
        "Every unit starts from its own random draw, so the units differ from step 0. "
        "Watch the Similarity panel stay mixed while the loss falls far below the "
        "one-unit line: different units learn different pieces of the task.",
        2000, speed=200, pause_at=2000, view="all",
        init="xavier", epsilon=0.0,
    ),
    _scenario(
        "dropout-breaks", "Dropout breaks the tie between copies",
        "Exact copies again, with no nudge at all, but dropout now switches units off at "
        "random, differently for each unit. That per-unit randomness is enough: the "
        "copies drift apart and the loss drops below the one-unit line.",
        2000, speed=200, pause_at=2000, view="all",
        init="symmetric", epsilon=0.0, dropout=0.1,
    ),
    _scenario(
        "small-init-condenses", "Tiny init: units line up, then split",
        "The units start random but tiny (Xavier times 0.001). At first they become more "
        "alike, not less: the symmetry index climbs from its chance level toward 1 as "
        "they line up, while the loss barely moves (x, condensation: by step 1,200 the "
        "eight point along just two directions, opposite each other, the most tanh "
        "allows). Play on: the loss starts to fall and they split apart again.",
        # Directions counted at step 1,200 (cos >= 0.99, d and -d apart): 2 on seeds 0
        # to 4; ReLU keeps 3 or 4, and the sigmoid 5 to 7 (the bound assumes phi(0) = 0).
        3000, speed=200, pause_at=1200, view="loss", experiment=("condense", {}),
        init="xavier", init_scale=0.001, epsilon=0.0,
    ),
    _scenario(
        "duplicate-saddle", "Copy a unit: a line of networks with one loss",
        "Two units learn xor; x, duplicate a unit, copies unit 1 into a third that takes "
        "a share of its outgoing weight (1.5 : −0.5 here): every share computes the same "
        "function, so the loss is the same all along that line. The curvature that would "
        "part the copies changes sign at shares 0 and 1; where it is negative, as here, "
        "the 1e-4 nudge between them grows and they move apart.",
        # At shares 0.5 and 1.5 on seeds 0 to 4 (300 steps, then L-BFGS): the loss along
        # the line within 1.1e-12 (the weights grow large at some seeds); the curvature
        # at 1.5 is -0.015 to -1.0 on seeds 0, 1, 3, 4, exactly 0 on seed 2 (a copied
        # unit saturated on every point: tanh' = tanh'' = 0 there).
        300, speed=100, pause_at=300, view="loss",
        experiment=("duplicate", {"lambda": 1.5, "before": 300, "steps": 2000}),
        hidden=2, init="xavier",
    ),
    _scenario(
        "teacher-width", "A teacher's width, and a few units more",
        "The targets are the outputs of a random network of three tanh units, the "
        "teacher; press x and pick teacher and width: eight students each of 3, 4 and 7 "
        "units train from their own starts, then L-BFGS takes each as low as it goes. "
        "With exactly the teacher's width some may stop short of zero loss (on this "
        "teacher 5 of 8), with four units more every one reaches it (loss below 1e-6).",
        100, speed=50, pause_at=100, view="loss", experiment=("teacher", {}),
        dataset="teacher", noise=0.0, hidden=3, init="xavier", epsilon=0.0,
    ),
    _scenario(
        "tie-collapses", "A tie penalty merges the units",
        "The units start random, but a penalty pulls every unit toward the average unit. "
        "Watch the symmetry index climb to 1 as they merge into one, and the loss stay "
        "above the one-unit line: worse than even one unit can do. A regularizer can "
        "force symmetry on a network, and the fit pays for it.",
        2000, speed=200, pause_at=2000, view="loss",
        init="xavier", epsilon=0.0, tie=0.05,
    ),
    _scenario(
        "l1-prunes", "L1 sets weights to exactly zero and kills units",
        "Proximal L1 shrinks every weight a little at each step and sets a weight it "
        "would carry past zero to exactly zero. Watch whole units go blank (†) in the "
        "Weights panel, while the units left still take the loss far below the one-unit "
        "line.",
        # l1 = 0.01 left no unit at all on seeds 1 and 3 (the loss back at ln 2); 0.004
        # leaves 3 to 6 of 8 on seeds 0 to 9, the classes still separated (96-99 %).
        1500, speed=150, pause_at=1500, view="all",
        init="xavier", epsilon=0.0, l1=0.004,
    ),
    _scenario(
        "sine-basis", "Regression: the kinks move to where the sine bends",
        "A 1-D regression with ReLU units. Every unit starts with its kink at x = 0, "
        "because the biases start at zero; training moves the kinks out to both sides, "
        "where the sine bends, and the fit becomes a chain of straight pieces through "
        "the data.",
        # He's larger start: from Xavier's, seed 1 stopped at a loss of 0.06, its five
        # left kinks all near x = -0.32 for the whole left hump; from He's, seeds 0 to
        # 9 reach a loss under 0.009 by step 1,000 (the noise alone costs 0.0025).
        1000, speed=100, pause_at=1000, view="units",
        dataset="sine", noise=0.05, hidden=12, activation="relu", init="he",
        epsilon=0.0,
    ),
    _scenario(
        "linear-convex", "Linear units: one least-squares line",
        "With a linear activation the whole network computes a straight line, however "
        "many units it has: each unit's line and the fit are drawn. From any start but "
        "all zeros it reaches the least-squares fit: change the init (i) and the units "
        "end up different, the fit the same.",
        500, speed=50, pause_at=500, view="units",
        dataset="linear", activation="linear", init="xavier", epsilon=0.0, lr=0.02,
    ),
    _scenario(
        "l2-aligns", "L2 on linear units: the penalty makes them alike",
        "Linear units again, now with L2 on the weights. Of all the ways the units can "
        "share one line, the penalty favours the one of least weight: every unit "
        "carries the slope the same way, its outgoing weight equal to its incoming one. "
        "Watch the symmetry index climb toward 1: a regularizer forcing the units alike.",
        # The biases are not penalized (L2 is weight decay on W1 and W2), so the share
        # of the intercept each unit took early on stays: at step 1,500 the index is
        # 0.93 to 0.997 on seeds 0 to 4, not 1 (-0.05 to 0.68 without L2; seed 0:
        # 0.986 against 0.109).
        1500, speed=150, pause_at=1500, view="loss",
        dataset="linear", activation="linear", init="xavier", epsilon=0.0, lr=0.05,
        l2=0.05,
    ),
    _scenario(
        "digits-copies-stay-one", "Sixteen copies of one picture",
        "Real data: 8×8 images of handwritten digits, ten classes. Sixteen units start as "
        "copies of one picture of weights, with no nudge, and each copy gets the same "
        "gradient: the pictures stay identical to the last bit (distinct 1/16), one unit "
        "in disguise. It gets fewer than half of the training digits right.",
        # Measured on seeds 0 to 4 at step 600: train accuracy 36-43 %, loss 1.38-1.51.
        600, speed=60, pause_at=600, view="units",
        dataset="digits", samples=1797, hidden=16, init="symmetric", epsilon=0.0, lr=0.5,
    ),
    _scenario(
        "digits-strokes", "A random start becomes sixteen different pictures",
        "The same sixteen units from a random start: each picture differs from the first "
        "step and becomes a pattern of its own (distinct 16/16). Together they get "
        "over 99 % of the training digits right, where the copies got fewer than half. "
        "Press 2 for the held-out digits: over 95 % right.",
        # Measured on seeds 0 to 4 at step 600: train accuracy 99.4-99.9 %, test 96.4-
        # 97.8 %, loss 0.039-0.052 (the best one unit found: 1.24-1.26).
        600, speed=60, pause_at=600, view="units",
        dataset="digits", samples=1797, hidden=16, init="xavier", epsilon=0.0, lr=0.5,
    ),
    _scenario(
        "recurring-units", "Many seeds: some units recur, some do not",
        "Eight runs of these settings, each from its own seed, on the same data. Press x "
        "and choose many seeds: each unit of run 1 (the Similarity panel's) is matched "
        "by what it computes in the seven others. Some units are found in nearly every "
        "run (6 or 7 of 7), others in 3 or fewer: the data asks for some units, the "
        "start picks the rest.",
        # At step 3,000 on seeds 0 to 4 (function space, matched >= 0.9): the most
        # recurring unit of run 1 is in 7, 7, 7, 6, 7 of 7 runs, the least in 0, 3, 0,
        # 0, 1.  Trained pairs match at 0.73-0.85, untrained starts at 0.65-0.82: not
        # always lower, so the caption does not say so.
        3000, speed=500, pause_at=3000, view="weights", experiment=("seeds", {}),
        hidden=8, init="xavier", epsilon=0.0,
    ),
    _scenario(
        "barrier-matching", "The barrier between two runs, and matching",
        "Two runs of these settings from different seeds reach about the same loss with "
        "different units. Press x and choose the barrier: along the straight line "
        "between their weights the loss rises well above both ends, yet reorder run "
        "B's units to match run A's (turning signs, as tanh allows) and the rise all "
        "but vanishes.",
        # At step 3,000 (the experiment's own steps, which x runs) on seeds 0 to 4:
        # barrier 0.60-1.08 before matching, 0.0001-0.014 after (at 1,500: 0.16-0.56
        # and at most 0.027).
        3000, speed=500, pause_at=3000, view="loss", experiment=("barrier", {}),
        dataset="moons", hidden=16, init="xavier", epsilon=0.0,
    ),
    _scenario(
        "filters-copies", "Copies of one filter stay identical",
        "A conv layer on the digits: eight 3 × 3 filters, every one reading the same "
        "pixels. They start as copies of one filter, with no nudge, and get the same "
        "gradient: eight identical kernels with eight identical feature maps, to the last "
        "bit (distinct 1/8). One filter in disguise.",
        # Measured on seeds 0 to 4 at step 100: train accuracy 85.4-87.0 %, loss
        # 0.437-0.478.
        100, speed=30, pause_at=100, view="filters",
        dataset="digits", samples=1797, arch="conv", filters=8, kernel=3, init="symmetric",
        epsilon=0.0, lr=0.5,
    ),
    _scenario(
        "filters-differ", "A random start gives different filters",
        "The same eight filters from a random start: eight different kernels from the "
        "first step (distinct 8/8), each with a feature map of its own on the image (← → "
        "choose another). Together they get more of the training digits right than the "
        "eight copies of one filter did.",
        # Measured on seeds 0 to 4 at step 100: train accuracy 91.7-92.4 % (the copies:
        # 85.4-87.0 %), loss 0.290-0.312 (the copies: 0.437-0.478).
        100, speed=30, pause_at=100, view="filters",
        dataset="digits", samples=1797, arch="conv", filters=8, kernel=3, init="xavier",
        epsilon=0.0, lr=0.5,
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _ALL}
"""Every built-in scenario by name, in lecture order."""


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; UnknownScenario (one line, listing the names) if none.

    Case is ignored and ``_`` may stand for ``-``, like the choices of the settings.
    """
    key = name.strip().lower().replace("_", "-")
    scenario = SCENARIOS.get(key)
    if scenario is None:
        raise UnknownScenario(
            f"scenario: {name!r} is not one of {', '.join(SCENARIOS)}"
        )
    return scenario


SCENE_NAMES: tuple[str, ...] = tuple(SCENARIOS)
"""The scenes in lecture order."""


def scene_number(scenario: Scenario) -> int:
    """1-based position of ``scenario`` in the lecture."""
    return SCENE_NAMES.index(scenario.name) + 1


def scene_label(scenario: Scenario) -> str:
    """``3/11 · epsilon-split``: where ``scenario`` is in the lecture, and its name."""
    return f"{scene_number(scenario)}/{len(SCENE_NAMES)} · {scenario.name}"


def neighbour(scenario: Scenario | None, direction: int) -> Scenario | None:
    """The next (``direction`` > 0) or previous scene; None past either end.

    Without a scene on screen, both directions start the lecture at its first scene.
    """
    if scenario is None:
        return SCENARIOS[SCENE_NAMES[0]]
    index = SCENE_NAMES.index(scenario.name) + (1 if direction > 0 else -1)
    if not 0 <= index < len(SCENE_NAMES):
        return None
    return SCENARIOS[SCENE_NAMES[index]]


def listing() -> str:
    """``tui-symmetry scenarios``: one ``name  title`` line per scenario, aligned."""
    width = max(len(name) for name in SCENARIOS)
    return "".join(f"{name:<{width}}  {scenario.title}\n"
                   for name, scenario in SCENARIOS.items())


__all__ = [
    "SCENARIOS", "SCENE_NAMES", "Scenario", "UnknownScenario", "get_scenario", "listing",
    "neighbour", "scene_label", "scene_number",
]
