"""Optimizers as torch.optim defines them: SGD, SGD with momentum (dampening 0), Adam.

They work on the flat parameter vector and write the new one into ``out``, a second
buffer, so the old parameters stay intact: a diverged step is rolled back for free.
"""

from __future__ import annotations

import math

import numpy as np

ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8


class Optimizer:
    """Turns a gradient into new parameters.  ``lr`` and ``momentum`` may change mid-run."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = lr
        self.momentum = momentum

    def update(self, theta: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    def permute(self, index: np.ndarray) -> None:
        """Reorder the per-parameter state like theta: ``state ← state[index]``."""

    @classmethod
    def log_growth(cls, lr: float, momentum: float, curvature: float) -> float | None:
        """ln of the factor by which one step multiplies a small difference along a
        direction of ``curvature`` near a saddle (core/saddle.py); None where no single
        factor exists (the update is not linear in the gradient, or it flips sign)."""
        return None


class SGD(Optimizer):
    """p ← p − lr·g."""

    def update(self, theta: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        np.subtract(theta, self.lr * grad, out=out)

    @classmethod
    def log_growth(cls, lr: float, momentum: float, curvature: float) -> float | None:
        factor = 1.0 - lr * curvature
        return math.log(factor) if factor > 0 else None


class Momentum(Optimizer):
    """torch.optim.SGD(momentum=mu): buf = mu·buf + g (buf = g on the first step); p -= lr·buf."""

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr, momentum)
        self.buffer: np.ndarray | None = None

    def update(self, theta: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        if self.buffer is None:
            self.buffer = grad.copy()
        else:
            self.buffer *= self.momentum
            self.buffer += grad
        np.subtract(theta, self.lr * self.buffer, out=out)

    def permute(self, index: np.ndarray) -> None:
        if self.buffer is not None:
            self.buffer = self.buffer[index]

    @classmethod
    def log_growth(cls, lr: float, momentum: float, curvature: float) -> float | None:
        # The largest root of z² − (1 + mu − lr·c)·z + mu: the heavy ball's factor.
        roots = np.roots([1.0, -(1.0 + momentum - lr * curvature), momentum])
        return float(math.log(max(abs(roots))))


class Adam(Optimizer):
    """torch.optim.Adam with betas (0.9, 0.999), eps 1e-8 and bias correction."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        super().__init__(lr, momentum)
        self.t = 0
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None

    def update(self, theta: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
        if self.m is None or self.v is None:
            self.m = np.zeros_like(grad)
            self.v = np.zeros_like(grad)
        self.t += 1
        m, v = self.m, self.v
        # torch: exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad,
        # value=1 - beta2); p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
        m += (1.0 - ADAM_BETA1) * (grad - m)
        v *= ADAM_BETA2
        v += (1.0 - ADAM_BETA2) * (grad * grad)
        step_size = self.lr / (1.0 - ADAM_BETA1**self.t)
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - ADAM_BETA2**self.t)
        denom += ADAM_EPS
        step = m / denom
        step *= step_size
        np.subtract(theta, step, out=out)

    def permute(self, index: np.ndarray) -> None:
        if self.m is not None and self.v is not None:
            self.m, self.v = self.m[index], self.v[index]


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, lr: float, momentum: float) -> Optimizer:
    return OPTIMIZERS[name](lr, momentum)
