"""training_advice names a cause only when the run's own curve shows it."""

import math

import pytest

from nnlib.checks.advice import step_budget, training_advice

REFERENCE = ("the suggested start", 23.6)
COSINE = [0.5 * 0.5 * (1 + math.cos(math.pi * e / 20)) for e in range(20)]


def advice(losses, lrs=COSINE, train=0.9, test=0.9, hidden=64, batch_size=16, initial=2.38):
    return training_advice(losses, initial_loss=initial, train_accuracy=train, test_accuracy=test,
                           lrs=lrs[:len(losses)], n_train=1347, hidden=hidden,
                           batch_size=batch_size, reference=REFERENCE)


def test_the_step_budget_counts_updates_times_rates():
    assert step_budget([0.1, 0.1], n_train=10, batch_size=4) == pytest.approx(0.6)


def test_a_loss_that_became_nan_is_an_overshoot():
    assert "became nan in epoch 3" in advice([2.0, 1.5, math.nan, math.nan])


def test_a_loss_that_rose_is_an_overshoot():
    assert "went up" in advice([2.5, 3.1, 2.9, 2.8])


@pytest.mark.parametrize("lrs, batch_size, what", [
    ([1e-4 * 0.5 * (1 + math.cos(math.pi * e / 10)) for e in range(10)], 32, "lr = 1e-4"),
    ([0.1 * 0.5 * (1 + math.cos(math.pi * e / 10)) for e in range(10)], 2000, "one batch per epoch"),
])
def test_a_run_that_never_learned_for_lack_of_steps(lrs, batch_size, what):
    text = advice([2.38 - 0.001 * e for e in range(10)], lrs=lrs, batch_size=batch_size, train=0.03)
    assert "too little descent" in text, what
    assert ("one update per epoch" in text) == (batch_size > 1347), what
    assert "more hidden units" not in text and "levelled off" not in text


def test_a_run_that_never_learned_with_one_hidden_unit_lacked_capacity():
    text = advice([2.305] * 20, hidden=1, train=0.1, test=0.1)
    assert "with 1 hidden unit the network cannot tell ten classes apart" in text
    assert "too little descent" not in text


def test_a_run_that_never_learned_with_enough_steps_and_units_names_no_cause():
    text = advice([2.3] * 20, hidden=64, train=0.1, test=0.1)
    assert "no cause shows in the curve" in text


def test_a_run_still_falling_at_the_end_of_its_schedule():
    text = advice([1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35])
    assert "still falling when the schedule ended" in text and "hidden units" not in text


def test_a_short_run_is_too_short_to_judge():
    assert "1 epoch is too short a run to judge" in advice([0.63])


def test_a_run_that_memorised_the_training_set_over_fitted():
    text = advice([1.0, 0.2, 0.1, 0.08, 0.07, 0.07, 0.07, 0.07], train=1.0, test=0.95)
    assert "over-fitted" in text and "hidden units" not in text


def test_capacity_is_named_only_for_an_early_plateau_with_low_training_accuracy():
    text = advice([1.6, 1.2, 0.95, 0.94, 0.93, 0.93, 0.92, 0.92, 0.92, 0.92], hidden=2, train=0.66,
                  test=0.62)
    assert "cannot fit the data with 2 hidden units" in text


def test_otherwise_no_single_cause():
    text = advice([1.6, 1.0, 0.6, 0.45, 0.42, 0.4, 0.39, 0.39], train=0.98, test=0.96)
    assert text.startswith("no single cause shows in the curve")


def test_a_run_that_learned_a_little_with_tiny_steps_had_too_little_descent():
    lrs = [1e-3 * 0.5 * (1 + math.cos(math.pi * e / 30)) for e in range(30)]
    text = advice([2.39 - 0.019 * e for e in range(30)], lrs=lrs, batch_size=32, train=0.63, test=0.61,
                  initial=2.49)
    assert text.startswith("the training loss fell from 2.49 to") and "too little descent" in text
