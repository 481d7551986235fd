"""The misconception catalogue: every graded exercise's typical wrong answers, and what the
checks say about them.

Each entry (tables ``catalogue_0N.py``, one per notebook) states which tests fail the wrong
answer (the visible ones, or only the hidden ones), a phrase the visible message must contain
(the intended misconception) and phrases it must not contain (wrong causes). A message that
names a wrong cause is a failing test: a wrong diagnosis costs more trust than none.

One notebook only: ``pytest tests/misconceptions -k 02_forward``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import notebook_tools as nt

from . import catalogue_01, catalogue_02, catalogue_03, catalogue_04, catalogue_05, catalogue_06
from .harness import messages, run_catalogue, variant_explanations, verdict

TABLES = [catalogue_01, catalogue_02, catalogue_03, catalogue_04, catalogue_05, catalogue_06]
MIN_PER_EXERCISE = 5
CASES = [pytest.param(table, entry, id=f"{table.NOTEBOOK[:-6]}/{entry.id}")
         for table in TABLES for entry in table.ENTRIES]


class Outcomes:
    """Each notebook's worker run, started for all notebooks at once (three at a time)."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=3)
        self._futures = {}

    def start(self, tables):
        for table in tables:
            if table.NOTEBOOK not in self._futures:
                self._futures[table.NOTEBOOK] = self._pool.submit(
                    run_catalogue, nt.NOTEBOOKS_DIR / table.NOTEBOOK, table.ENTRIES)

    def get(self, table):
        self.start([table])
        return self._futures[table.NOTEBOOK].result()


@pytest.fixture(scope="session")
def outcomes(request):
    runs = Outcomes()
    selected = {item.callspec.params["table"].NOTEBOOK for item in request.session.items
                if getattr(item, "callspec", None) and "table" in item.callspec.params}
    runs.start([t for t in TABLES if t.NOTEBOOK in selected])
    return runs


@pytest.mark.parametrize("table, entry", CASES)
def test_entry(outcomes, table, entry):
    """The tests fail this wrong answer, and its message names no wrong cause."""
    problems, _ = verdict(entry, outcomes.get(table)["entries"][entry.id])
    if problems:
        pytest.fail(f"{table.NOTEBOOK}, {entry.id} (answer {entry.answer}, test {entry.test}):\n  "
                    + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("table, entry", CASES)
def test_entry_gets_the_same_verdict_and_message_when_graded(outcomes, table, entry):
    """Graded -- the test cell in the trusted checker, the answer in a kernel of its own -- the
    wrong answer fails the same way, with the very same message, as in the student's kernel."""
    test = outcomes.get(table)["entries"][entry.id]["tests"][entry.test]
    own = test["visible"] or test["hidden"]
    checked = test["checked"]
    assert not checked["grading_error"], checked
    assert checked["passed"] == (own is None), (own, checked)
    if own is not None:
        assert (checked["ename"], checked["message"]) == (own["ename"], own["message"])


@pytest.mark.parametrize("table", [pytest.param(t, id=t.NOTEBOOK[:-6]) for t in TABLES])
def test_prefix_runs_cleanly(outcomes, table):
    """The notebook's own cells (the state every entry starts from) run without errors."""
    failures = outcomes.get(table)["prefix_failures"]
    assert not failures, "\n".join(f"{f['cell']}: {f['ename']}: {f['message'][:300]}"
                                   for f in failures)


@pytest.mark.parametrize("table", [pytest.param(t, id=t.NOTEBOOK[:-6]) for t in TABLES])
def test_every_variant_message_is_exercised(outcomes, table):
    """Every known-mistake explanation in a visible test cell is the message of a catalogued
    wrong answer (a message no wrong answer reaches is untested, or dead)."""
    seen = "\n".join(text for outcome in outcomes.get(table)["entries"].values()
                     for text in messages(outcome))
    missing = [f"{gid}: {text[:100]}" for gid, text in
               variant_explanations(nt.NOTEBOOKS_DIR / table.NOTEBOOK) if text[:50] not in seen]
    assert not missing, "no catalogued wrong answer gets these messages:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("table", [pytest.param(t, id=t.NOTEBOOK[:-6]) for t in TABLES])
def test_every_exercise_has_five_entries(table):
    """Every graded test cell of the notebook is the target of at least five wrong answers."""
    ids = nt.graded_test_ids(nt.read(nt.NOTEBOOKS_DIR / table.NOTEBOOK))
    counts = {gid: sum(e.test == gid for e in table.ENTRIES) for gid in ids}
    few = {gid: n for gid, n in counts.items() if n < MIN_PER_EXERCISE}
    assert not few, f"fewer than {MIN_PER_EXERCISE} catalogued wrong answers: {few}"


def test_entry_ids_are_unique():
    """Every entry has its own id within its notebook."""
    for table in TABLES:
        ids = [e.id for e in table.ENTRIES]
        assert len(ids) == len(set(ids)), f"{table.NOTEBOOK}: duplicate entry ids"


def catalogue_report(results):
    """'N entries, k name the intended misconception (p%)' from {(notebook, id): hit}."""
    size, hits = len(results), sum(results.values())
    return (f"misconception catalogue: {size} wrong answers over {len(TABLES)} notebooks; "
            f"{hits} messages name the intended misconception ({100 * hits / max(size, 1):.0f}%), "
            f"the other {size - hits} at least name no wrong one")


def test_report_hit_rate(outcomes, capsys):
    """Report the catalogue's size and hit rate (entries whose message names the intended cause)."""
    results = {}
    for table in TABLES:
        for entry in table.ENTRIES:
            problems, hit = verdict(entry, outcomes.get(table)["entries"][entry.id])
            results[(table.NOTEBOOK, entry.id)] = hit and not problems
    with capsys.disabled():
        print("\n" + catalogue_report(results))
    assert len(results) >= MIN_PER_EXERCISE * 35
