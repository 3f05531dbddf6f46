"""The teacher dataset (core/data.py): a random tanh network's outputs, which a student of
the teacher's width can fit exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
import reference_mlp as ref

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.data import make_dataset
from tui_symmetry.core.duplicate import grow
from tui_symmetry.core.network import loss_and_grads
from tui_symmetry.experiments import teacher
from tui_symmetry.experiments.registry import ExperimentJob
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


def test_a_wider_student_holds_the_teacher_s_own_fit() -> None:
    """A student of width r + 1 grown from the teacher (a unit copied, core/duplicate.py)
    has the teacher's zero loss: the wider network's minima contain the narrow one's."""
    data = make_dataset(TEACHER)
    for lam in (0.5, 1.5):
        wider = grow(data.teacher, 1, lam)
        assert loss_and_grads(wider, data.X_train, data.y_train, "tanh", "mse")[0] < 1e-28


def test_the_sweep_counts_what_its_students_reached() -> None:
    job = ExperimentJob.of("teacher", Config(hidden=5, seed=0), 20, students=2)
    students = teacher.start(job)
    assert [s.config.hidden for s in students] == [3, 3, 4, 4, 7, 7]
    assert all(s.config.dataset == "teacher" and s.config.noise == 0.0 for s in students)
    np.testing.assert_array_equal(students[0].data.X_train, students[5].data.X_train)
    assert not np.array_equal(students[0].initial_params.W1, students[1].initial_params.W1)
    for s in students:
        s.step(20)
    document = teacher.measure(job, students).to_dict()
    assert document["polished"] and document["widths"] == [3, 4, 7]
    # the counts again, from the per-student losses the document lists
    assert document["reached"] == [sum(x < document["threshold"] for x in row)
                                   for row in document["losses"]]
    # each loss is the polished student's own loss, recomputed by the reference
    p = students[2].polished.params
    arrays = {"W1": p.W1, "b1": p.b1, "W2": p.W2, "b2": p.b2}
    out = ref.forward(arrays, students[2].data.X_train, "tanh")[2]
    assert document["losses"][1][0] == pytest.approx(
        ref.data_loss(out, students[2].data.y_train, "mse"), rel=1e-9, abs=1e-20)
    noisy = Config(dataset="teacher", noise=0.1)
    assert teacher.teacher_config(noisy) is noisy  # on its data already: its own noise
    assert "noise 0.1: zero loss is out of reach" in teacher.measure(
        ExperimentJob.of("teacher", noisy, 0, students=1),
        teacher.start(ExperimentJob.of("teacher", noisy, 0, students=1))).verdict


def test_a_teacher_run_draws_no_class_map_it_does_not_have() -> None:
    """A regression on the plane has no p(class 1) to draw: no unit maps."""
    assert Trainer(TEACHER).snapshot().unit_maps is None
    assert Trainer(Config(hidden=3)).snapshot().unit_maps is not None
