"""The teacher dataset (core/data.py): a random tanh network's outputs, which a student of
the teacher's width can fit exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
import reference_mlp as ref

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.data import make_dataset
from tui_symmetry.core.network import loss_and_grads
from tui_symmetry.export import run_document

TEACHER = Config(dataset="teacher", noise=0.0, teacher_units=3, hidden=3)


def test_the_teacher_computes_its_targets_exactly() -> None:
    """Second check: the teacher's own parameters are a width-r student at loss 0."""
    for seed in (0, 1):
        data = make_dataset(TEACHER.replace(seed=seed))
        assert data.X_train.shape == (160, 2) and data.y_train.shape == (160, 1)
        assert data.teacher.W1.shape == (3, 2)
        assert abs(data.y_train.mean()) < 1e-12 and data.y_train.std() == pytest.approx(1.0)
        loss = loss_and_grads(data.teacher, data.X_train, data.y_train, "tanh", "mse")[0]
        assert loss < 1e-28
        arrays = {name: np.asarray(v) for name, v in data.teacher.to_lists().items()}
        out = ref.forward(arrays, data.X_test, "tanh")[2]  # the test split too
        np.testing.assert_allclose(out, data.y_test, atol=1e-12)


def test_noise_and_width_change_the_data_and_other_datasets_ignore_the_width() -> None:
    clean = make_dataset(TEACHER)
    noisy = make_dataset(TEACHER.replace(noise=0.1))
    assert loss_and_grads(noisy.teacher, noisy.X_train, noisy.y_train, "tanh", "mse")[0] > 1e-3
    np.testing.assert_array_equal(clean.X_train, noisy.X_train)  # the same draws first
    wider = make_dataset(TEACHER.replace(teacher_units=5))
    assert wider.teacher.W1.shape == (5, 2)
    assert Config(dataset="xor", teacher_units=7).teacher_units == 3
    assert make_dataset(Config()).teacher is None


def test_a_teacher_run_exports_its_teacher() -> None:
    trainer = Trainer(TEACHER.replace(hidden=4))
    trainer.step(20)
    document = json.loads(json.dumps(run_document(trainer)))
    source = document["data_source"]
    assert source["kind"] == "teacher" and source["units"] == 3
    assert document["config"]["teacher_units"] == 3
    np.testing.assert_array_equal(source["teacher"]["W1"], trainer.data.teacher.W1)
    np.testing.assert_allclose(ref.replay(document)["W1"], trainer.params.W1, atol=1e-10)
