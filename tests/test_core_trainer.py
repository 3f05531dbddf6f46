"""The Trainer as a whole: reproducible, replayable, bounded, configurable.

The maths is in docs/maths.md, the export format in docs/contracts.md.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import reference_mlp

from tui_symmetry.core import Config, ConfigError, Trainer
from tui_symmetry.core.config import (
    ACTIVATIONS,
    FIELDS,
    INITS,
    OPTIMIZERS,
    REGRESSION_DATASETS,
)
from tui_symmetry.core.data import TOY_DATASETS, make_dataset
from tui_symmetry.core.history import History
from tui_symmetry.core.init import init_params
from tui_symmetry.core.metrics import max_unit_gap, unit_vectors
from tui_symmetry.export import run_document

REPLAY_TOLERANCE = 1e-10
LEARNING_RATES = {"sgd": 0.3, "momentum": 0.05, "adam": 0.02}


def _export_bytes(trainer: Trainer) -> str:
    """The export as canonical JSON text."""
    return json.dumps(run_document(trainer), sort_keys=True)


def _max_param_diff(replayed: dict[str, np.ndarray], exported: dict[str, list]) -> float:
    """Largest absolute difference between replayed arrays and an export's params."""
    return max(
        float(np.max(np.abs(replayed[name] - np.array(exported[name]))))
        for name in reference_mlp.PARAM_NAMES
    )


# -- reproducibility ---------------------------------------------------------------------

NOISY = Config(dataset="moons", samples=120, hidden=6, init="xavier", epsilon=0.01,
               optimizer="adam", batch_size=16, dropout=0.2, grad_noise=0.01, l1=0.001,
               l2=0.01, tie=0.1, seed=7)


def test_same_config_and_seed_give_byte_identical_exports() -> None:
    first, second = Trainer(NOISY), Trainer(NOISY)
    first.step(250)
    second.step(250)
    assert _export_bytes(first) == _export_bytes(second)


def test_stepping_in_chunks_gives_the_same_run() -> None:
    whole, chunked = Trainer(NOISY), Trainer(NOISY)
    whole.step(200)
    for n in (1, 2, 3, 50, 144):
        chunked.step(n)
    assert chunked.step_count == 200
    assert _export_bytes(whole) == _export_bytes(chunked)


def test_snapshots_do_not_change_the_run() -> None:
    plain, watched = Trainer(NOISY), Trainer(NOISY)
    plain.step(100)
    for _ in range(10):
        watched.step(10)
        watched.snapshot()
    assert _export_bytes(plain) == _export_bytes(watched)


@pytest.mark.parametrize("change", [{"seed": 8}, {"dropout": 0.3}, {"grad_noise": 0.02},
                                    {"batch_size": 17}])
def test_a_different_seed_or_random_setting_gives_a_different_run(change: dict) -> None:
    base, other = Trainer(NOISY), Trainer(NOISY.replace(**change))
    base.step(100)
    other.step(100)
    assert _export_bytes(base) != _export_bytes(other)
    assert not np.array_equal(base.theta, other.theta)


def test_randomness_streams_are_independent() -> None:
    """Dropout and gradient noise draw from their own streams: data and init stay put."""
    a = Trainer(NOISY)
    b = Trainer(NOISY.replace(dropout=0.5, grad_noise=0.3, batch_size=5))
    np.testing.assert_array_equal(a.data.X_train, b.data.X_train)
    for x, y in zip(a.initial_params.as_tuple(), b.initial_params.as_tuple(), strict=True):
        np.testing.assert_array_equal(x, y)


# -- the export and its replay -----------------------------------------------------------

REPLAY_CASES = [("xor", "tanh"), ("moons", "relu"), ("sine", "sigmoid"),
                ("spiral", "leaky_relu"), ("linear", "linear")]


@pytest.mark.parametrize(("dataset", "activation"), REPLAY_CASES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_export_replays_in_the_reference_implementation(optimizer: str, dataset: str,
                                                        activation: str) -> None:
    config = Config(dataset=dataset, activation=activation, optimizer=optimizer,
                    lr=LEARNING_RATES[optimizer], momentum=0.8, l1=0.004, l2=0.01, tie=0.05,
                    hidden=7, samples=101, init="xavier", seed=3)
    trainer = Trainer(config)
    trainer.step(250)
    document = json.loads(json.dumps(run_document(trainer)))  # only what survives JSON
    replayed = reference_mlp.replay(document)
    assert _max_param_diff(replayed, document["params"]) < REPLAY_TOLERANCE
    # The run went somewhere: the check compares genuinely trained parameters.
    initial = reference_mlp.params_from_lists(document["initial_params"])
    assert _max_param_diff(initial, document["params"]) > 1e-2


def test_export_with_l1_zeros_replays() -> None:
    """L1 strong enough to land weights on exact zeros: the replay finds the same zeros."""
    trainer = Trainer(Config(dataset="blobs", init="xavier", epsilon=0.0, optimizer="sgd",
                             lr=0.3, l1=0.05, l2=0.01, tie=0.05, hidden=10, samples=150, seed=2))
    trainer.step(300)
    document = json.loads(json.dumps(run_document(trainer)))
    replayed = reference_mlp.replay(document)
    assert _max_param_diff(replayed, document["params"]) < REPLAY_TOLERANCE
    for name in ("W1", "W2"):
        exported = np.array(document["params"][name])
        np.testing.assert_array_equal(replayed[name] == 0.0, exported == 0.0)
    assert np.count_nonzero(np.array(document["params"]["W1"]) == 0.0) >= 3


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_export_with_live_changes_replays(optimizer: str) -> None:
    trainer = Trainer(Config(dataset="circles", init="xavier", optimizer=optimizer,
                             lr=LEARNING_RATES[optimizer], hidden=5, samples=80, seed=4))
    trainer.step(60)
    trainer.apply_live(lr=LEARNING_RATES[optimizer] / 2, l2=0.02)
    trainer.step(60)
    trainer.apply_live(tie=0.5, l1=0.003, momentum=0.5)
    trainer.step(60)
    document = json.loads(json.dumps(run_document(trainer)))
    assert [change["step"] for change in document["config_changes"]] == [60, 120]
    assert document["config"] == trainer.start_config.to_dict()
    replayed = reference_mlp.replay(document)
    assert _max_param_diff(replayed, document["params"]) < REPLAY_TOLERANCE
    # Ignoring the changes would not land there: they are really needed.
    without = reference_mlp.replay({**document, "config_changes": []})
    assert _max_param_diff(without, document["params"]) > 1e-6


def test_export_document_has_the_contract_fields() -> None:
    trainer = Trainer(Config(dataset="xor", hidden=3, samples=50, seed=1))
    trainer.step(20)
    document = json.loads(json.dumps(run_document(trainer), allow_nan=False))
    assert document["format"] == "tui-symmetry-run"
    assert document["version"] == 1
    assert document["step"] == 20
    assert Config.from_dict(document["config"]) == trainer.config
    assert set(document["data"]) == {"X_train", "y_train", "X_test", "y_test"}
    assert len(document["data"]["X_train"]) == trainer.config.n_train
    assert len(document["data"]["X_test"]) == trainer.config.n_test
    for key in ("initial_params", "params"):
        assert set(document[key]) == {"W1", "b1", "W2", "b2"}
        assert np.array(document[key]["W1"]).shape == (3, 2)
        assert np.array(document[key]["W2"]).shape == (1, 3)
    history = document["history"]
    assert set(history) >= {"step", "loss", "test_loss", "symmetry_index"}
    assert history["step"][0] == 0
    assert len({len(values) for values in history.values()}) == 1
    assert "config_changes" not in document


def test_export_without_test_split_uses_null_test_loss() -> None:
    trainer = Trainer(Config(dataset="sine", test_fraction=0.0, samples=30, hidden=2))
    trainer.step(5)
    document = json.loads(json.dumps(run_document(trainer), allow_nan=False))
    assert document["data"]["X_test"] == []
    assert all(value is None for value in document["history"]["test_loss"])
    snap = trainer.snapshot()
    assert snap.test_loss is None
    assert snap.accuracy is None


# -- history ------------------------------------------------------------------------------


def test_history_memory_is_flat_over_a_million_steps() -> None:
    history = History(64)
    sizes = {}
    for step in range(10**6 + 1):
        if step == history.next_step():
            history.append(step, 1.0 / (step + 1), 2.0 / (step + 1), 0.5)
        if step in (10**3, 10**6):
            sizes[step] = history.nbytes
    assert sizes[10**3] == sizes[10**6] == History(64).nbytes
    steps = history.arrays()["step"]
    assert steps[0] == 0
    assert history.size <= 64
    assert np.all(np.diff(steps) == history.stride)
    assert 10**6 - steps[-1] < history.stride
    # The recorded values are the ones appended at those steps.
    np.testing.assert_array_equal(history.arrays()["loss"], 1.0 / (steps + 1))


@pytest.mark.parametrize("capacity", [0, 1, 3, 65])
def test_history_capacity_must_be_even(capacity: int) -> None:
    with pytest.raises(ValueError):
        History(capacity)


def test_trainer_history_is_bounded_and_covers_the_whole_run() -> None:
    trainer = Trainer(Config(dataset="blobs", samples=8, hidden=1, optimizer="sgd"),
                      history_capacity=64)
    nbytes = trainer.history.nbytes
    for chunk in (1, 10, 100, 1000, 7, 30_000):
        trainer.step(chunk)
        history = trainer.snapshot().history
        steps = history["step"]
        assert trainer.history.nbytes == nbytes
        assert len(steps) <= 64
        assert steps[0] == 0
        stride = trainer.history.stride
        assert np.all(np.diff(steps) == stride)
        # The last point is at most one stride behind the current step.
        assert 0 <= trainer.step_count - steps[-1] <= stride
        assert np.all(np.isfinite(history["loss"]))
    assert trainer.history.stride >= 512
    # The point at step 0 is the loss of the initial parameters.
    fresh = Trainer(trainer.start_config, history_capacity=64)
    assert history["loss"][0] == pytest.approx(fresh.train_loss(), rel=1e-12)


# -- live changes ------------------------------------------------------------------------


def test_apply_live_changes_lr_mid_run() -> None:
    config = Config(dataset="xor", optimizer="sgd", lr=0.1, hidden=4, samples=60)
    trainer, reference = Trainer(config), Trainer(config)
    trainer.step(30)
    reference.step(30)
    new = trainer.apply_live(lr=0.5)
    assert new.lr == 0.5 and trainer.config.lr == 0.5
    assert trainer.start_config.lr == 0.1
    assert trainer.config_changes == [{"step": 30, "lr": 0.5}]
    trainer.step(10)
    reference.step(10)
    # The new rate took effect: the runs part from here on.
    assert not np.array_equal(trainer.theta, reference.theta)
    # An unchanged value is not recorded as a change.
    trainer.apply_live(lr=0.5)
    assert len(trainer.config_changes) == 1
    trainer.apply_live(l2="0.25")  # strings are coerced, like a text box would send
    assert trainer.config_changes[-1] == {"step": 40, "l2": 0.25}


def test_apply_live_rejects_bad_and_non_live_changes() -> None:
    trainer = Trainer(Config(hidden=3, samples=40))
    with pytest.raises(ConfigError, match="hidden"):
        trainer.apply_live(hidden=5)
    with pytest.raises(ConfigError, match="lr"):
        trainer.apply_live(lr=-1.0)
    with pytest.raises(ConfigError):
        trainer.apply_live(bogus=1)
    assert trainer.config == trainer.start_config
    assert trainer.config_changes == []


# -- configuration ------------------------------------------------------------------------

BAD_VALUES = [
    ("samples", 3, "[4, 100000]"),
    ("samples", 100_001, "[4, 100000]"),
    ("samples", 2.5, "[4, 100000]"),
    ("samples", "many", "[4, 100000]"),
    ("samples", True, "[4, 100000]"),
    ("hidden", 0, "[1, 256]"),
    ("hidden", 257, "[1, 256]"),
    ("lr", 0.0, "(0, 100]"),
    ("lr", -0.1, "(0, 100]"),
    ("lr", 101, "(0, 100]"),
    ("lr", math.nan, "(0, 100]"),
    ("lr", math.inf, "(0, 100]"),
    ("lr", "nan", "(0, 100]"),
    ("lr", "-inf", "(0, 100]"),
    ("momentum", 1.0, "[0, 1)"),
    ("momentum", -0.5, "[0, 1)"),
    ("test_fraction", 0.95, "[0, 0.9]"),
    ("noise", -0.1, "[0, 2]"),
    ("dropout", 0.99, "[0, 0.95]"),
    ("l1", math.nan, "[0, 10]"),
    ("l2", -math.inf, "[0, 10]"),
    ("tie", 1e9, "[0, 100]"),
    ("grad_noise", None, "[0, 10]"),
    ("epsilon", [0.1], "[0, 10]"),
    ("seed", -1, "[0, 4294967295]"),
    ("seed", 2**32, "[0, 4294967295]"),
    ("batch_size", -1, "[0, 100000]"),
    ("dataset", "mnist", "xor, moons"),
    ("activation", "gelu", "tanh, relu"),
    ("init", "kaiming", "zeros, constant"),
    ("optimizer", "rmsprop", "sgd, momentum, adam"),
]


@pytest.mark.parametrize(("field", "value", "valid"), BAD_VALUES,
                         ids=[f"{f}={v!r}" for f, v, _ in BAD_VALUES])
def test_bad_config_values_raise_config_error_naming_field_and_range(field: str, value: object,
                                                                     valid: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config(**{field: value})
    message = str(info.value)
    assert "\n" not in message
    assert field in message or field.replace("_", "-") in message
    assert valid in message


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Config(hidden=-3)


def test_too_few_training_points_is_rejected() -> None:
    with pytest.raises(ConfigError, match="samples"):
        Config(samples=4, test_fraction=0.9)


def test_config_coerces_text_and_integral_floats() -> None:
    config = Config(hidden="12", lr="0.5", samples=300.0, dataset=" Moons ",
                    activation="leaky-relu")
    assert config.hidden == 12 and isinstance(config.hidden, int)
    assert config.samples == 300 and isinstance(config.samples, int)
    assert config.lr == 0.5
    assert config.dataset == "moons"
    assert config.activation == "leaky_relu"


def test_every_choice_is_accepted() -> None:
    for dataset in TOY_DATASETS:
        assert Config(dataset=dataset).is_regression == (dataset in REGRESSION_DATASETS)
    for activation in ACTIVATIONS:
        assert Config(activation=activation).activation == activation
    for init in INITS:
        assert Config(init=init).init == init
    for optimizer in OPTIMIZERS:
        assert Config(optimizer=optimizer).optimizer == optimizer


def test_config_round_trips_through_dict_and_json() -> None:
    config = Config(dataset="spiral", samples=333, noise=0.05, test_fraction=0.25, hidden=17,
                    activation="sigmoid", init="orthogonal", init_scale=0.7, epsilon=1e-3,
                    optimizer="momentum", lr=0.07, momentum=0.85, batch_size=32, l1=1e-4,
                    l2=1e-3, dropout=0.1, grad_noise=0.02, tie=0.4, seed=123456789)
    as_dict = config.to_dict()
    assert set(as_dict) == {spec.name for spec in FIELDS}
    assert Config.from_dict(as_dict) == config
    assert Config.from_dict(json.loads(json.dumps(as_dict))) == config
    assert Config.from_dict({}) == Config()
    with pytest.raises(ConfigError, match="colour"):
        Config.from_dict({**as_dict, "colour": "blue"})


def test_config_replace_validates_and_replace_live_refuses_resets() -> None:
    config = Config()
    assert config.replace(lr="0.2").lr == 0.2
    with pytest.raises(ConfigError, match="lr"):
        config.replace(lr="fast")
    with pytest.raises(ConfigError):
        config.replace(speed=2)
    assert config.replace_live(lr="0.3", l1=0.1, tie=3.0) == config.replace(lr=0.3, l1=0.1,
                                                                           tie=3.0)
    for change in ({"hidden": 9}, {"seed": 1}, {"lr": 0.3, "init": "he"}):
        with pytest.raises(ConfigError, match="cannot change mid-run; it needs a reset"):
            config.replace_live(**change)


def test_config_rejects_huge_integers_for_float_fields() -> None:
    with pytest.raises(ConfigError, match="lr"):
        Config(lr=10**400)
    with pytest.raises(ConfigError, match="lr"):
        Config.from_dict(json.loads('{"lr": 1' + "0" * 400 + "}"))


def test_config_accepts_numpy_integers() -> None:
    config = Config(hidden=np.int64(12), samples=np.int32(64), lr=np.float32(0.5))
    assert (config.hidden, config.samples) == (12, 64)
    assert type(config.hidden) is int


# -- initialization -------------------------------------------------------------------


@pytest.mark.parametrize("init", INITS)
def test_init_schemes_are_seeded_shaped_and_scaled(init: str) -> None:
    config = Config(init=init, epsilon=0.0, hidden=7, dataset="moons", seed=9)
    params = init_params(config)
    assert params.W1.shape == (7, 2) and params.b1.shape == (7,)
    assert params.W2.shape == (1, 7) and params.b2.shape == (1,)
    assert np.all(params.b1 == 0.0) and np.all(params.b2 == 0.0)
    again = init_params(config)
    doubled = init_params(config.replace(init_scale=2.0))
    for a, b, c in zip(params.as_tuple(), again.as_tuple(), doubled.as_tuple(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(c, 2.0 * a)
    if init not in ("zeros", "constant", "symmetric"):
        assert max_unit_gap(unit_vectors(params)) > 0.0
        other = init_params(config.replace(seed=10))
        assert not np.array_equal(other.W1, params.W1)


def test_deterministic_init_values() -> None:
    zeros = init_params(Config(init="zeros", epsilon=0.0, hidden=3))
    assert all(np.all(array == 0.0) for array in zeros.as_tuple())
    constant = init_params(Config(init="constant", epsilon=0.0, hidden=3, init_scale=0.6))
    np.testing.assert_array_equal(constant.W1, np.full((3, 2), 0.3))
    np.testing.assert_array_equal(constant.W2, np.full((1, 3), 0.3))
    symmetric = init_params(Config(init="symmetric", epsilon=0.0, hidden=5))
    assert max_unit_gap(unit_vectors(symmetric)) == 0.0
    assert np.all(symmetric.W1 != 0.0) and np.all(symmetric.W2 != 0.0)


def test_init_spreads() -> None:
    normal = init_params(Config(init="normal", epsilon=0.0, hidden=256, init_scale=2.0))
    assert np.std(normal.W1) == pytest.approx(1.0, rel=0.1)  # 0.5·init_scale
    orthogonal = init_params(Config(init="orthogonal", epsilon=0.0, hidden=9))
    np.testing.assert_allclose(orthogonal.W1.T @ orthogonal.W1, np.eye(2), atol=1e-12)
    assert np.linalg.norm(orthogonal.W2) == pytest.approx(1.0, rel=1e-12)
    uniform = init_params(Config(init="uniform", epsilon=0.0, hidden=256))
    assert np.max(np.abs(uniform.W1)) <= 1.0 / math.sqrt(2.0)
    assert np.max(np.abs(uniform.W2)) <= 1.0 / 16.0


def test_epsilon_perturbs_every_parameter() -> None:
    base = init_params(Config(init="zeros", epsilon=0.0, hidden=64))
    noisy = init_params(Config(init="zeros", epsilon=0.01, hidden=64))
    for clean, perturbed in zip(base.as_tuple(), noisy.as_tuple(), strict=True):
        assert np.all(perturbed != clean)
    assert np.std(noisy.W1) == pytest.approx(0.01, rel=0.15)


# -- datasets -------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", TOY_DATASETS)
def test_datasets_are_seeded_and_shaped(dataset: str) -> None:
    config = Config(dataset=dataset, samples=101, test_fraction=0.2, seed=5)
    a, b = make_dataset(config), make_dataset(config)
    other = make_dataset(config.replace(seed=6))
    dim = 1 if dataset in REGRESSION_DATASETS else 2
    assert a.X_train.shape == (config.n_train, dim)
    assert a.y_train.shape == (config.n_train, 1)
    assert a.X_test.shape == (config.n_test, dim)
    assert a.y_test.shape == (config.n_test, 1)
    for name in ("X_train", "y_train", "X_test", "y_test"):
        array = getattr(a, name)
        assert array.dtype == np.float64
        assert np.all(np.isfinite(array))
        np.testing.assert_array_equal(array, getattr(b, name))
    assert not np.array_equal(a.X_train, other.X_train)
    if dataset not in REGRESSION_DATASETS:
        assert set(np.unique(a.y_train)) <= {0.0, 1.0}


@pytest.mark.parametrize("dataset", [d for d in TOY_DATASETS if d not in REGRESSION_DATASETS])
def test_binary_training_sets_are_balanced(dataset: str) -> None:
    for samples in (4, 7, 37, 40, 200, 201, 999):
        for test_fraction in (0.0, 0.1, 0.2, 0.33):
            try:
                config = Config(dataset=dataset, samples=samples, test_fraction=test_fraction)
            except ConfigError:
                continue
            data = make_dataset(config)
            ones = int(data.y_train.sum())
            zeros = config.n_train - ones
            # Exactly balanced whenever the number of training points allows it.
            assert abs(ones - zeros) == config.n_train % 2, (samples, test_fraction)
            if data.y_test.size:
                assert abs(int(data.y_test.sum()) * 2 - config.n_test) <= 1


def test_xor_labels_follow_the_sign_of_the_product() -> None:
    data = make_dataset(Config(dataset="xor", noise=0.0, samples=400))
    product = data.X_train[:, 0] * data.X_train[:, 1]
    np.testing.assert_array_equal(data.y_train[:, 0], (product > 0).astype(float))


def test_zero_init_on_a_balanced_task_starts_at_ln2() -> None:
    trainer = Trainer(Config(dataset="moons", init="zeros", epsilon=0.0, samples=200))
    assert trainer.train_loss() == pytest.approx(math.log(2.0), abs=1e-15)


# -- snapshots ----------------------------------------------------------------------------


def test_snapshots_are_immutable_copies() -> None:
    trainer = Trainer(Config(hidden=4, samples=60))
    trainer.step(5)
    snap = trainer.snapshot()
    W1 = snap.params.W1.copy()
    with pytest.raises(ValueError):
        snap.params.W1[0, 0] = 1.0
    with pytest.raises(ValueError):
        snap.history["loss"][0] = 1.0
    with pytest.raises(AttributeError):
        snap.step = 3  # type: ignore[misc]
    trainer.step(5)
    np.testing.assert_array_equal(snap.params.W1, W1)
    assert snap.step == 5
    later = trainer.snapshot()
    assert not np.array_equal(later.params.W1, snap.params.W1)


def test_snapshot_carries_the_callers_version_and_rate() -> None:
    trainer = Trainer(Config(hidden=3, samples=40))
    assert (trainer.snapshot().version, trainer.snapshot().steps_per_s) == (0, 0.0)
    snap = trainer.snapshot(version=41, steps_per_s=1234.5)
    assert (snap.version, snap.steps_per_s) == (41, 1234.5)
    assert snap.summary()["steps_per_s"] == 1234.5


def test_changes_grows_with_every_change_of_state_and_only_then() -> None:
    trainer = Trainer(Config(hidden=3, samples=40))
    seen = [trainer.changes]

    def changed() -> bool:
        seen.append(trainer.changes)
        return seen[-1] > seen[-2]

    trainer.snapshot()
    trainer.train_loss()
    assert not changed()  # reading is not a change
    trainer.step(1)
    assert changed()
    trainer.step(0)
    assert not changed()
    trainer.apply_live(lr=0.3)
    assert changed()
    trainer.apply_live(lr=0.3)  # the same value again
    assert not changed()


# -- the reference against torch (only where torch happens to be installed) -------------


def test_reference_optimizers_match_torch() -> None:
    """reference_mlp's update rules are torch.optim's: same data, init, L2 → same params.

    One test for all optimizers: importing torch is the expensive part.
    """
    torch = pytest.importorskip("torch")
    for optimizer in OPTIMIZERS:
        _check_reference_against_torch(torch, optimizer)


def _check_reference_against_torch(torch: Any, optimizer: str) -> None:
    """Train 40 steps with torch.optim and with the reference; compare the params."""
    trainer = Trainer(Config(dataset="moons", init="xavier", epsilon=0.0, hidden=5,
                             samples=60, optimizer=optimizer, lr=LEARNING_RATES[optimizer],
                             momentum=0.8, l2=0.01, seed=1))
    trainer.step(40)
    document = json.loads(json.dumps(run_document(trainer)))
    replayed = reference_mlp.replay(document)

    start = reference_mlp.params_from_lists(document["initial_params"])
    tensors = {name: torch.tensor(start[name], requires_grad=True) for name in start}
    X = torch.tensor(document["data"]["X_train"], dtype=torch.float64)
    y = torch.tensor(document["data"]["y_train"], dtype=torch.float64)[:, None]
    weights = [tensors["W1"], tensors["W2"]]
    biases = [tensors["b1"], tensors["b2"]]
    lr = LEARNING_RATES[optimizer]
    groups = [{"params": weights, "weight_decay": 0.01}, {"params": biases, "weight_decay": 0}]
    if optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=lr)
    else:
        opt = torch.optim.SGD(groups, lr=lr, momentum=0.8 if optimizer == "momentum" else 0)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(40):
        opt.zero_grad()
        hidden = torch.tanh(X @ tensors["W1"].T + tensors["b1"])
        loss_fn(hidden @ tensors["W2"].T + tensors["b2"], y).backward()
        opt.step()
    for name in reference_mlp.PARAM_NAMES:
        np.testing.assert_allclose(replayed[name], tensors[name].detach().numpy(),
                                   rtol=0, atol=REPLAY_TOLERANCE, err_msg=optimizer)
