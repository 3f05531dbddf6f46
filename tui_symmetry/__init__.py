"""tui-symmetry: watch the hidden units of a tiny neural network stay alike or split."""

import os

# The matrices here are tiny: extra BLAS threads only add hand-off cost, and on a
# 2-core machine they would compete with the UI.  This must happen before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
