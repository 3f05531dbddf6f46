"""The three data panels of the app: weights, similarity and loss.

Each panel has ``show(snapshot)``; the app calls it at its refresh rate and the panel
redraws only what changed.
"""

from tui_symmetry.app.widgets.loss import LossPanel
from tui_symmetry.app.widgets.similarity import SimilarityPanel
from tui_symmetry.app.widgets.weights import WeightsPanel

__all__ = ["LossPanel", "SimilarityPanel", "WeightsPanel"]
