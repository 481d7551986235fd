"""The fresh set: wrong and correct answers by someone who had seen only the student notebooks.

Every wrong answer must fail (the visible tests, or at least the hidden ones), with a message
that names a cause or describes the difference -- never a bare "is not right", never a traceback
-- and never one of the wrong causes the review found (``fresh_review``); every correct answer
must pass, hidden tests included.  ``pytest tests/misconceptions/test_fresh.py -k 02 -s`` also
prints the figures.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import notebook_tools as nt

from . import fresh_01, fresh_02, fresh_03, fresh_04, fresh_05, fresh_06
from .fresh_review import OPEN, WRONG_CAUSES
from .harness import Entry, message_kind, run_catalogue

TABLES = {"01": fresh_01, "02": fresh_02, "03": fresh_03, "04": fresh_04, "05": fresh_05,
          "06": fresh_06}
MIN_PER_TEST = 3


def _entries(table):
    return ([Entry(d["id"], d["answer"], d["test"], source=d["source"]) for d in table.WRONG]
            + [Entry("correct:" + d["id"], d["answer"], d["test"], source=d["source"])
               for d in table.CORRECT])


def _param(num, d):
    marks = [pytest.mark.xfail(reason=OPEN[(num, d["id"])], strict=True)] if (num, d["id"]) in OPEN else []
    return pytest.param(num, d, id=f"{num}/{d['id']}", marks=marks)


WRONG = [_param(num, d) for num, t in TABLES.items() for d in t.WRONG]
CORRECT = [pytest.param(num, d, id=f"{num}/{d['id']}") for num, t in TABLES.items() for d in t.CORRECT]


class _Runs:
    """Each notebook's worker run, started for all selected notebooks at once (three at a time)."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=3)
        self._futures = {}

    def start(self, num):
        if num not in self._futures:
            table = TABLES[num]
            self._futures[num] = self._pool.submit(run_catalogue, nt.NOTEBOOKS_DIR / table.NOTEBOOK,
                                                   _entries(table))

    def get(self, num):
        self.start(num)
        return self._futures[num].result()


def _selected(request):
    return sorted({item.callspec.params["num"] for item in request.session.items
                   if getattr(item, "callspec", None) and "num" in item.callspec.params})


@pytest.fixture(scope="session")
def runs(request):
    found = _Runs()
    for num in _selected(request):
        found.start(num)
    return found


def _outcome(runs, num, entry_id, test):
    outcome = runs.get(num)["entries"][entry_id]
    if "error" in outcome:
        pytest.fail(f"the harness could not run it: {outcome['error']}", pytrace=False)
    return outcome["tests"].get(test)


@pytest.mark.parametrize("num, d", WRONG)
def test_fresh_wrong_answer(runs, num, d):
    """It fails, with a message that names a cause or describes the difference, and no wrong cause."""
    test = _outcome(runs, num, d["id"], d["test"])
    assert test is not None, f"the test cell {d['test']} was not reached"
    failure = test["visible"] or test["hidden"]
    assert failure is not None, f"ACCEPTED by {d['test']}, visible and hidden: {d['mistake']}"
    kind = message_kind(failure)
    text = f"{failure['ename']}: {failure['message']}"
    assert kind in ("named", "described"), f"a {kind} message for '{d['mistake']}':\n{text}"
    wrong = [p for p in WRONG_CAUSES.get((num, d["id"]), ()) if p.lower() in text.lower()]
    assert not wrong, f"MISDIAGNOSIS {wrong} for '{d['mistake']}':\n{text}"


@pytest.mark.parametrize("num, d", CORRECT)
def test_fresh_correct_answer(runs, num, d):
    """A correct answer in an unusual style passes, hidden tests included."""
    test = _outcome(runs, num, "correct:" + d["id"], d["test"])
    assert test is not None, f"the test cell {d['test']} was not reached"
    failure = test["visible"] or test["hidden"]
    assert failure is None, (f"a correct answer ({d['style']}) is rejected:\n"
                             f"{failure['ename']}: {failure['message']}")


@pytest.mark.parametrize("num", list(TABLES))
def test_every_graded_test_has_three_fresh_wrong_answers(num):
    ids = nt.graded_test_ids(nt.read(nt.NOTEBOOKS_DIR / TABLES[num].NOTEBOOK))
    counts = {gid: sum(d["test"] == gid for d in TABLES[num].WRONG) for gid in ids}
    assert all(n >= MIN_PER_TEST for n in counts.values()), counts


def fresh_figures(runs, nums):
    """{"wrong", "accepted by the visible tests", "accepted", "named", "described", "bare", ...}."""
    figures = dict.fromkeys(("wrong", "accepted by the visible tests", "accepted", "named",
                             "described", "bare", "traceback", "correct", "correct rejected"), 0)
    for num in nums:
        outcomes = runs.get(num)["entries"]
        for d in TABLES[num].WRONG:
            test = outcomes[d["id"]].get("tests", {}).get(d["test"]) or {"visible": None, "hidden": None}
            figures["wrong"] += 1
            figures["accepted by the visible tests"] += test["visible"] is None
            failure = test["visible"] or test["hidden"]
            if failure is None:
                figures["accepted"] += 1
            else:
                figures[message_kind(failure)] += 1
        for d in TABLES[num].CORRECT:
            test = outcomes["correct:" + d["id"]].get("tests", {}).get(d["test"]) or {}
            figures["correct"] += 1
            figures["correct rejected"] += bool(test.get("visible") or test.get("hidden"))
    return figures


def test_report_fresh_figures(runs, request, capsys):
    """Print the fresh set's figures (for the notebooks selected in this run)."""
    nums = _selected(request) or list(TABLES)
    figures = fresh_figures(runs, nums)
    with capsys.disabled():
        print(f"\nfresh set ({', '.join(nums)}): " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    assert figures["wrong"] >= MIN_PER_TEST * len(nums)
