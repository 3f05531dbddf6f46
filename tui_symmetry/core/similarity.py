"""How alike two hidden units are, up to the symmetries of their activation.

A unit is u = [w, b, v]: its incoming weights W1[i,:], its bias b1[i] and its outgoing
weight W2[0,i].  Two units are "alike" when one is the other moved by a symmetry of the
activation, i.e. when they compute the same thing.  Each activation has its own:

* ``odd`` (tanh): φ(−z) = −φ(z), so (w, b, v) and (−w, −b, −v) compute the same
  v·φ(w·x + b).  Measure: the balanced cosine of ``positive_scale`` below, in absolute
  value, |ŵ_i·ŵ_j + sgn(v_i)·sgn(v_j)| / 2: the incoming directions and the signs of
  the outgoing weights weighted alike, and the flip of a whole unit only changes the
  sign inside.  So (w, b, v) and (w, b, −v), which cancel each other, score 0 however
  small v is (|cos| of the raw u, the measure before, gave them 0.9998 for v = 0.01:
  the sign of v drowned in the incoming weights).  Sizes are not compared: u and 3u
  score 1, though tanh(3z) is no multiple of tanh(z) once it saturates.  Comparing
  the lengths of [w, b] too (the dice coefficient) was measured and set aside: units
  in tanh's nearly linear range compute the same thing up to scale whatever their
  sizes, and training spreads their sizes early (docs/maths.md, "Alike").
* ``odd_plus_constant`` (sigmoid): σ(−z) = 1 − σ(z), so
  (−v)·σ(−w·x − b) = v·σ(w·x + b) − v: the unit −u is u plus the constant −v, which the
  output bias b2 absorbs.  The flip includes the outgoing weight, exactly as for tanh,
  and the measure is tanh's.
* ``positive_scale`` (relu, leaky_relu): φ(αz) = αφ(z) for α > 0, so (αw, αb, v/α) is
  the same unit.  A unit's orbit {(αw, αb, v/α)} has one point of least norm, the
  *balanced* unit, whose incoming part [w, b] and outgoing weight have equal length
  √(‖[w,b]‖·|v|): sign(v)·[ŵ, ±1] up to that length, with ŵ = [w, b]/‖[w, b]‖.  Cosine
  ignores length, so the measure is the cosine of the balanced units,
  cos = (ŵ_i·ŵ_j + sign(v_i)·sign(v_j)) / 2: the incoming directions and the signs of
  the outgoing weights, weighted alike.  It is exactly invariant under each unit's own
  rescaling, and it counts (w, b, v) and (w, b, 2v) as one unit, which they are for
  the fit: both feed the same feature to the output and merge into one unit with
  outgoing weight 3v.  This is what makes ReLU's condensation (many units, few
  directions) visible.  (Normalising [w, b] and multiplying v by its length would be
  invariant too, but would weight direction against output size by the arbitrary
  unit of length 1, so the same network would read differently at another scale.)
* ``linear`` (linear): φ(αz) = αφ(z) for every α ≠ 0, so only the product
  e = v·[w, b] matters (the unit computes e·[x; 1]).  Measure: cos(e_i, e_j).  It is
  odd as well: −u has the same e.

Each measure is a cosine of a *canonical* form of the units (:func:`canonical_units`),
absolute for the sign-flip symmetries.  For the saddle's extrapolation to a split,
:func:`separation_matrix` gives √(2·(1 − S)) from differences, exact where 1 − S is
below rounding.  Units with no incoming weights are not features
of the input; :mod:`tui_symmetry.core.metrics` leaves them out of the summaries.

The function-space measure (:func:`function_similarity`) is the correlation of two
units' contributions v_i·φ(z_i(x)) over the training inputs.  It needs no case
analysis: every symmetry above leaves a unit's contribution unchanged up to a constant,
and correlation ignores constants and positive scale.
"""

from __future__ import annotations

import numpy as np

from tui_symmetry.core import conv
from tui_symmetry.core.network import (  # noqa: F401  (SYMMETRIES re-exported)
    ACTIVATIONS,
    ONE_OUTPUT,
    SYMMETRIES,
    UnitShape,
)

WEIGHTS, FUNCTION = "weights", "function"
SPACES = (WEIGHTS, FUNCTION)

SIGN_FLIP = ("odd", "odd_plus_constant")
"""The symmetries that map a unit u to −u (and no rescaling): an absolute cosine."""
_MEASURE_NAMES = {
    "odd": "|cos| of balanced units ({act}: u, −u alike; sizes not compared)",
    "odd_plus_constant": "|cos| of balanced units ({act}: u, −u alike; sizes not compared)",
    "positive_scale": "cos of balanced units ({act}: (αw, αb, v/α) alike)",
    "linear": "cos of v·[w, b] ({act}: any rescaling alike)",
}
_FUNCTION_MEASURE_NAME = "correlation of v·a over the training inputs"
# Squared row norms in this range are computed without overflow or underflow.
_SAFE_SQUARES = (1e-280, 1e280)
# A contribution varying by less than this share of its size is constant.
_CONSTANT_ROW = 1e-12


def symmetry_of(activation: str) -> str:
    """The symmetry class of ``activation``: one of :data:`SYMMETRIES`."""
    try:
        return ACTIVATIONS[activation].symmetry
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}") from None


def sign_flip(symmetry: str) -> bool:
    """True when the symmetry maps u to −u: the measure is an absolute cosine, in 0..1."""
    return symmetry in SIGN_FLIP


def measure_name(activation: str, space: str = WEIGHTS) -> str:
    """The measure in use, for a legend: e.g. ``cos of v·[w, b] (linear: any rescaling
    alike)``."""
    if space == FUNCTION:
        return _FUNCTION_MEASURE_NAME
    return _MEASURE_NAMES[symmetry_of(activation)].format(act=activation)


def _squares(rows: np.ndarray) -> np.ndarray:
    """Σ_k rows[..., k]², summed in the order k = 0, 1, ... by elementwise operations.

    Every similarity here is built from elementwise operations in a fixed order, never
    from a BLAS product or a reduction whose order numpy may choose: each entry is then
    the same bits whether it is computed for one network or for a stack of them (the
    split tracker evaluates many steps at once and must agree with every snapshot).
    """
    total = rows[..., 0] * rows[..., 0]
    for k in range(1, rows.shape[-1]):
        total += rows[..., k] * rows[..., k]
    return total


def row_directions(rows: np.ndarray) -> np.ndarray:
    """Rows (the last axis) scaled to unit length; zero rows stay zero.

    A row whose squared norm could overflow or underflow (huge weights of a run about
    to diverge, tiny ones, or a zero row) is first divided by its largest entry.  Row by
    row: a row's result never depends on the other rows.
    """
    squares = _squares(rows)
    fine = (squares > _SAFE_SQUARES[0]) & (squares < _SAFE_SQUARES[1])
    if fine.all():
        return rows / np.sqrt(squares)[..., None]
    peak = np.abs(rows).max(axis=-1, initial=0.0)
    scaled = rows / np.where(peak > 0, peak, 1.0)[..., None]
    norms = np.sqrt(_squares(scaled))
    rescued = scaled / np.where(norms > 0, norms, 1.0)[..., None]
    direct = rows / np.sqrt(np.where(fine, squares, 1.0))[..., None]
    return np.where(fine[..., None], direct, rescued)


def canonical_units(units: np.ndarray, symmetry: str,
                    shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """Rows whose cosine (|cosine| when :func:`sign_flip`) is the similarity.

    ``units`` is (..., H, K), rows [w, b, v] split as ``shape`` says.  The balanced rows
    [ŵ, v̂] serve positive_scale, odd and odd_plus_constant alike, with v̂ = v̄/‖v̄‖ (v̄ the
    centred outgoing vector under softmax): for one output v̂ = sgn v.  For linear the
    row is v̂ ŵᵀ flattened (ŵ·sgn v for one output): the cosine of two such rank-one
    matrices is (v̂_i·v̂_j)(ŵ_i·ŵ_j).  A unit with v̄ = 0 keeps its incoming direction
    ([ŵ, 0]; for linear ŵ, or ŵ along the class direction 1/√C that no centred v̂ takes):
    identical units stay alike even when L1 has zeroed their outgoing weights.
    """
    if shape.outgoing == 1 and not shape.centred:
        incoming = row_directions(units[..., :-1])
        sign = np.sign(units[..., -1])
        if symmetry in ("positive_scale", *SIGN_FLIP):
            return np.concatenate([incoming, sign[..., None]], axis=-1)
        if symmetry == "linear":
            return incoming * np.where(sign == 0.0, 1.0, sign)[..., None]
        raise ValueError(f"unknown symmetry {symmetry!r}")
    incoming = row_directions(shape.incoming(units))
    outgoing = row_directions(shape.outgoing_vectors(units))
    if symmetry in ("positive_scale", *SIGN_FLIP):
        return np.concatenate([incoming, outgoing], axis=-1)
    if symmetry == "linear":
        blank = ~outgoing.any(axis=-1, keepdims=True)
        outgoing = np.where(blank, 1.0 / np.sqrt(shape.outgoing), outgoing)
        outer = outgoing[..., :, None] * incoming[..., None, :]
        return outer.reshape(*outer.shape[:-2], -1)
    raise ValueError(f"unknown symmetry {symmetry!r}")


def cosine_matrix(rows: np.ndarray, absolute_value: bool) -> np.ndarray:
    """S_ij = cos(rows_i, rows_j) (or its absolute value); zero rows score 0, S_ii = 1.

    ``rows`` is (..., H, K); S is (..., H, H), summed over k in a fixed order (see
    _squares).
    """
    d = row_directions(rows)
    S = d[..., :, None, 0] * d[..., None, :, 0]
    for k in range(1, d.shape[-1]):
        S += d[..., :, None, k] * d[..., None, :, k]
    # Rounding can leave |S| a few ulps above 1.
    if absolute_value:
        np.abs(S, out=S)
    else:
        np.maximum(S, -1.0, out=S)
    np.minimum(S, 1.0, out=S)
    n = S.shape[-1]
    if S.ndim == 2:
        S.flat[:: n + 1] = 1.0
    else:
        S[..., np.arange(n), np.arange(n)] = 1.0
    return S


def similarity_matrix(units: np.ndarray, activation: str,
                      shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """The weight-space similarity of every pair of units, for ``activation``.

    ``units`` is (..., H, D + 1 + C); the result (..., H, H).
    """
    symmetry = symmetry_of(activation)
    return cosine_matrix(canonical_units(units, symmetry, shape), sign_flip(symmetry))


def unit_directions(units: np.ndarray, activation: str,
                    shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """The unit-length canonical rows of ``units`` (..., H, D + 1 + C), component-major
    (..., K, H): what :func:`pair_cosines` multiplies.  Row by row, so computing them
    for some units or for a stack of networks gives each unit the same bits."""
    rows = canonical_units(units, symmetry_of(activation), shape)
    # Component-major, so each gather in pair_cosines is a contiguous row.
    return np.ascontiguousarray(np.swapaxes(row_directions(rows), -1, -2))


def pair_cosines(directions: np.ndarray, first: np.ndarray, second: np.ndarray,
                 activation: str) -> np.ndarray:
    """S[..., first[k], second[k]] of :func:`similarity_matrix` from
    :func:`unit_directions`, the same bits (..., len(first)): every operation is the one
    cosine_matrix does for that pair, in the same order."""
    d = directions
    S = d[..., 0, first] * d[..., 0, second]
    for k in range(1, d.shape[-2]):
        S += d[..., k, first] * d[..., k, second]
    if sign_flip(symmetry_of(activation)):
        np.abs(S, out=S)
    else:
        np.maximum(S, -1.0, out=S)
    np.minimum(S, 1.0, out=S)
    same = first == second
    if same.any():
        S[..., same] = 1.0
    return S


def pair_similarity(units: np.ndarray, activation: str, first: np.ndarray,
                    second: np.ndarray, shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """S[..., first[k], second[k]] of :func:`similarity_matrix`, the same bits, without
    the other pairs (..., len(first))."""
    return pair_cosines(unit_directions(units, activation, shape), first, second, activation)


def separation_matrix(units: np.ndarray, activation: str,
                      shape: UnitShape = ONE_OUTPUT) -> np.ndarray:
    """√(2·(1 − S_ij)) for every pair of units (H, H), computed from differences.

    The chord ‖ĉ_i − ĉ_j‖ between canonical directions (the shorter of ‖ĉ_i ∓ ĉ_j‖ for
    an absolute cosine): it grows in proportion to small differences between units and
    stays exact where 1 − S itself is below rounding (the saddle extrapolates it to
    the split).
    """
    symmetry = symmetry_of(activation)
    c = row_directions(canonical_units(units, symmetry, shape))
    diff = c[:, None, :] - c[None, :, :]
    chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    if sign_flip(symmetry):
        total = c[:, None, :] + c[None, :, :]
        chord = np.minimum(chord, np.sqrt(np.einsum("ijk,ijk->ij", total, total)))
    return chord


def contributions(block: np.ndarray, w2: np.ndarray, activation: str,
                  XT1: np.ndarray) -> np.ndarray:
    """v_i·φ(z_i(x_n)): what each unit adds to the outputs on each input.

    ``block`` is [W1 | b1] (H, D + 1), ``XT1`` the inputs [Xᵀ; 1] (D + 1, N), ``w2`` the
    outgoing weights (H,) for one output, giving (H, N), or the outgoing vectors (H, C)
    (centred under softmax), giving (H, C, N).  Conv filters: ``XT1`` the patches
    (k² + 1, Q, N) and ``w2`` the blocks (H, C·P), giving V_h m_h(x_n) (H, C, N).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if XT1.ndim == 3:
            pooled = conv.pooled_maps(block, XT1, ACTIVATIONS[activation])  # (H, P, N)
            blocks = w2.reshape(len(block), -1, pooled.shape[1])
            return np.einsum("hcp,hpn->hcn", blocks, pooled)
        z = block @ XT1
        a = ACTIVATIONS[activation].forward(z, np.empty_like(z))
        if w2.ndim == 2:
            return w2[:, :, None] * a[:, None, :]
        return a * w2[:, None]


def function_similarity(block: np.ndarray, w2: np.ndarray, activation: str,
                        XT1: np.ndarray) -> np.ndarray:
    """Correlation over the inputs of every pair of units' contributions (H, H).

    A unit whose contribution is constant on the inputs (no input weights, a ReLU
    never active, v = 0) has no correlation with anything: it scores 0.  With C outputs
    (``w2`` (H, C)) a contribution is centred per output over the inputs and the
    correlation taken over all C·N numbers.
    """
    raw = contributions(block, w2, activation, XT1)
    if raw.ndim == 3:
        raw[~np.isfinite(raw).all(axis=(1, 2))] = 0.0
        # centred per output: a constant added to one output is no feature
        c = (raw - raw.mean(axis=2, keepdims=True)).reshape(len(raw), -1)
        raw = raw.reshape(len(raw), -1)
    else:
        raw[~np.isfinite(raw).all(axis=1)] = 0.0
        c = raw - raw.mean(axis=1, keepdims=True)
    # A constant row centres to rounding noise, not to zero: relative to the row's
    # size, a spread at rounding level is no spread.
    size = np.abs(raw).max(axis=1, initial=0.0)
    spread = np.abs(c).max(axis=1, initial=0.0)
    c[spread <= _CONSTANT_ROW * size] = 0.0
    # Rows as long as the data: a BLAS product, not the fixed-order sums of the weight
    # measure (nothing needs these to the bit).  Rows are first scaled by their peak.
    peak = np.abs(c).max(axis=1, initial=0.0)
    c /= np.where(peak > 0, peak, 1.0)[:, None]
    norms = np.sqrt(np.einsum("ij,ij->i", c, c))
    c /= np.where(norms > 0, norms, 1.0)[:, None]
    S = c @ c.T
    np.clip(S, -1.0, 1.0, out=S)
    np.fill_diagonal(S, 1.0)
    return S
