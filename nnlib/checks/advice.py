"""``training_advice``: what a training run's own curve says about why it fell short.

A run that misses its target can have diverged, never learned, run out of schedule while still
learning, memorised the training set, or lacked capacity -- and each needs a different change.
The advice reads the evidence of the run itself (the loss after every epoch, the accuracies, the
learning rates of the schedule, how many updates there were) and names a cause only when the
curve shows it; otherwise it gives the numbers and says that no single cause shows.
"""

from __future__ import annotations

import math

# the loss must fall below this fraction of its starting value to count as "learned something"
_LEARNED = 0.75
# a loss that changes by less than this fraction over the first half's second quarter has levelled
# off while the steps were still large (the cosine schedule makes every curve flat at its end)
_FLAT = 0.05


def step_budget(lrs, n_train, batch_size):
    """The sum of the step sizes of a run: updates per epoch times the learning rate of each epoch.

    >>> step_budget([0.1, 0.05], n_train=100, batch_size=32)     # 4 updates per epoch
    0.6000000000000001
    """
    updates = math.ceil(n_train / batch_size)
    return sum(lr * updates for lr in lrs)


def training_advice(losses, *, initial_loss, train_accuracy, test_accuracy, lrs, n_train,
                    hidden, batch_size, reference, target=0.97):
    """One sentence on why a run reached only ``test_accuracy`` < ``target``, from its curve.

    Parameters
    ----------
    losses : sequence of float
        The training loss after each epoch.
    initial_loss : float
        The loss before the first step (about ln K for K classes).
    train_accuracy, test_accuracy : float
        After the last epoch.
    lrs : sequence of float
        The learning rate of each epoch (the schedule's).
    n_train, hidden, batch_size : int
        The run's training-set size, hidden units and batch size.
    reference : (str, float)
        A run that learns, and its step budget (:func:`step_budget`), to compare with: ("the
        suggested start", 23.6). A run that barely moved with a budget under a tenth of it had
        too little descent; with more, the cause is elsewhere.
    target : float
        The test accuracy the run should reach.

    Examples
    --------
    >>> print(training_advice([2.38, 2.378, 2.377], initial_loss=2.38, train_accuracy=0.03,
    ...       test_accuracy=0.03, lrs=[1e-4, 7.5e-5, 2.5e-5], n_train=1000, hidden=64, batch_size=50,
    ...       reference=("the suggested start", 23.6)))
    the training loss barely moved (2.38 before training, 2.377 after 3 epochs): the run had too little descent -- 60 updates whose step sizes add up to 0.004 (the suggested start adds up to 23.6): use a larger lr (now at most 0.0001), a smaller batch (more updates per epoch) or train longer (more epochs).
    """
    E = len(losses)
    last = losses[-1] if E else math.nan
    bad = [e for e, v in enumerate(losses) if not math.isfinite(v)]
    budget = step_budget(lrs, n_train, batch_size)
    updates = math.ceil(n_train / batch_size) * len(lrs)
    peak = max(lrs) if lrs else 0.0
    if bad:
        return (f"the training loss became {losses[bad[0]]} in epoch {bad[0] + 1}: the steps overshoot, "
                f"a learning rate too large (lr = {_g(peak)}); or a gradient bug (check the tests "
                f"above).")
    if max(losses) > 1.05 * initial_loss:
        return (f"the training loss went up (before training {initial_loss:.4f}, highest "
                f"{max(losses):.4f}, last {last:.4f}): the steps overshoot, a learning rate too large "
                f"(lr = {_g(peak)}); or a gradient bug (check the tests above).")
    compare = f" ({reference[0]} adds up to {_g(reference[1])})"
    barely = last >= _LEARNED * initial_loss
    moved = (f"the training loss barely moved ({_g(initial_loss)} before training, {_g(last)} "
             f"after {E} epoch{'s' if E != 1 else ''})" if barely else
             f"the training loss fell from {_g(initial_loss)} to {_g(last)} in {E} epochs")
    if budget < 0.1 * reference[1]:
        one = (f" (batch_size {batch_size} >= the {n_train} training examples: one update "
               f"per epoch)" if batch_size >= n_train else "")
        return (f"{moved}: the run had too little descent -- {updates} updates{one} whose step "
                f"sizes add up to {_g(budget)}{compare}: use a larger lr (now at most "
                f"{_g(peak)}), a smaller batch (more updates per epoch) or train longer (more "
                f"epochs).")
    if barely:
        if hidden < 10:
            return (f"{moved} although its steps add up to {_g(budget)}{compare}: with {hidden} "
                    f"hidden unit{'s' if hidden != 1 else ''} the network cannot tell ten classes "
                    f"apart; use more hidden units (≤ 256).")
        return (f"{moved} although its steps add up to {_g(budget)}{compare}: no cause shows in "
                f"the curve; check that the gradient tests above pass.")
    half, quarter = E // 2, E // 4
    if E < 4:
        return (f"{E} epoch{'s are' if E != 1 else ' is'} too short a run to judge: the training "
                f"loss went from {_g(initial_loss)} before training to {_g(last)}; train longer "
                f"(more epochs, ≤ 40).")
    if losses[-1] < 0.8 * losses[half]:
        return (f"the training loss was still falling when the schedule ended ({_g(losses[0])} "
                f"after the first epoch, {_g(losses[half])} halfway, {_g(last)} at the end of {E}): "
                f"train longer (more epochs, ≤ 40): the cosine schedule shrinks the steps towards "
                f"its end, so more epochs give more large steps.")
    if train_accuracy >= 0.995 and test_accuracy < target:
        return (f"the network fits the training set (accuracy {train_accuracy:.4f}) far better "
                f"than the test set ({test_accuracy:.4f}): it over-fitted; a smaller peak lr or a "
                f"larger batch gives a smoother fit, and fewer epochs less time to memorise.")
    if (train_accuracy < target and quarter and
            losses[half] > (1 - _FLAT) * losses[quarter]):
        return (f"the training loss levelled off while the steps were still large ({_g(losses[quarter])} "
                f"after epoch {quarter + 1}, {_g(losses[half])} after epoch {half + 1}) and even "
                f"the training accuracy is only {train_accuracy:.4f}: the network cannot fit the "
                f"data with {hidden} hidden units; use more (≤ 256).")
    return (f"no single cause shows in the curve: loss {_g(losses[0])} after the first epoch, "
            f"{_g(last)} after the last, training accuracy {train_accuracy:.4f}, test accuracy "
            f"{test_accuracy:.4f}; try another lr, batch size or number of hidden units.")


def _g(x):
    return f"{x:.4g}"
