"""The app's panels: weights, similarity, loss, the units gallery (units.py) and
gradients; saddle.py writes the saddle readout the Similarity panel prints.

Each panel has ``show(snapshot)``; the main screen calls it with the snapshots of the
view on screen and the panel redraws only what changed.  The Weights, Similarity and
Gradients panels' text is a function of the snapshot and their view (typed line
records, _lines.py); every panel holds back updates with the one throttle of
_throttle.py.  Three panels are re-exported here; the gallery and the Gradients panel
are imported from their modules.
"""

from tui_symmetry.app.widgets.loss import LossPanel
from tui_symmetry.app.widgets.similarity import SimilarityPanel
from tui_symmetry.app.widgets.weights import WeightsPanel

__all__ = ["LossPanel", "SimilarityPanel", "WeightsPanel"]
