"""The misconception catalogue's machinery: entries, and running them against a notebook.

An :class:`Entry` is one typical wrong answer, written as a student writes it: the source of
the answer cell it replaces (or a few substitutions in the solution's source), the test cell
that must fail it, whether the visible or only the hidden tests fail it, the phrase its
visible message must contain (the intended misconception), and phrases it must NOT contain
(causes that would be wrong for this mistake).  :func:`run_catalogue` runs all entries of one
notebook in one worker process (see ``worker.py``) and returns each entry's outcome.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import notebook_tools as nt

WORKER = Path(__file__).with_name("worker.py")
# causes that no message may name unless the entry is about them
ALWAYS_WRONG_UNLESS_INTENDED = ()


@dataclass
class Entry:
    """One wrong answer and what the checks must say about it."""

    id: str
    answer: str                       # grade_id of the answer cell it replaces
    test: str                         # grade_id of the test cell that must fail it
    source: str = ""                  # the whole wrong answer cell ...
    sub: tuple = ()                   # ... or (old, new) substitutions in the solution's source
    fails: str = "visible"            # "visible", or "hidden" (the visible tests pass it)
    names: str | None = None          # a phrase the message must contain (the misconception)
    not_names: tuple = ()             # phrases the message must not contain (wrong causes)
    also: dict = field(default_factory=dict)   # other cells replaced too {grade_id: source}


def solution_sources(nb):
    """{grade_id: source} of the solution cells of a source notebook."""
    return {nt.nbgrader(c)["grade_id"]: c.source for c in nb.cells if nt.is_solution(c)}


def stub_sources(student):
    """{grade_id: source} of the solution cells as students get them (the stub)."""
    return {nt.nbgrader(c)["grade_id"]: c.source for c in student.cells if nt.is_solution(c)}


def wrong_source(entry, solutions):
    """The entry's answer cell source: its own, or the solution with its substitutions."""
    if entry.source:
        return entry.source
    text = solutions[entry.answer]
    for old, new in entry.sub:
        if old not in text:
            raise ValueError(f"{entry.id}: {old!r} is not in the solution of {entry.answer}")
        text = text.replace(old, new)
    if text == solutions[entry.answer]:
        raise ValueError(f"{entry.id}: no substitution given, the answer is the solution")
    return text


def _hidden_part(source):
    lines, inside = [], False
    for line in source.split("\n"):
        if nt.BEGIN_HIDDEN in line:
            inside = True
        elif nt.END_HIDDEN in line:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def plan(path, entries):
    """The worker's plan: every code cell (source, visible and hidden parts) and the entries."""
    nb = nt.read(path)
    student = nt.student_version(nb)
    solutions = solution_sources(nb)
    cells = []
    for cell, visible in zip(nb.cells, student.cells):
        if cell.cell_type != "code":
            continue
        kind = "test" if nt.is_graded_test(cell) else "answer" if nt.is_solution(cell) else "code"
        cells.append({"grade_id": nt.nbgrader(cell).get("grade_id", ""), "kind": kind,
                      "source": cell.source, "visible": visible.source,
                      "hidden": _hidden_part(cell.source) if kind == "test" else ""})
    return {"cwd": str(nt.NOTEBOOKS_DIR), "notebook": str(path), "cells": cells, "entries": [
        {"id": e.id, "targets": [e.test],
         "replace": {e.answer: wrong_source(e, solutions), **e.also}} for e in entries]}


def run_catalogue(path, entries):
    """{entry id: outcome} and the prefix's own failures, from one worker run."""
    with tempfile.TemporaryDirectory(prefix="catalogue-") as tmp:
        plan_path, results_path = Path(tmp, "plan.json"), Path(tmp, "results.json")
        plan_path.write_text(json.dumps(plan(path, entries)))
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                   # one BLAS thread: the worker forks, and a forked thread pool can hang
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        done = subprocess.run([sys.executable, str(WORKER), str(plan_path), str(results_path)],
                              env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode or not results_path.exists():
            raise RuntimeError(f"the catalogue worker failed on {Path(path).name} "
                               f"(exit {done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(results_path.read_text())


def verdict(entry, outcome):
    """(problems, hit): why the entry's outcome is not what it states, and whether the message
    names the intended misconception (the entry's ``names`` phrase)."""
    if "error" in outcome:
        return [f"the harness could not run it: {outcome['error']}"], False
    test = outcome["tests"].get(entry.test)
    if test is None:
        return [f"the test cell {entry.test} was not reached"], False
    visible, hidden = test["visible"], test["hidden"]
    problems = []
    if entry.fails == "visible" and visible is None:
        problems.append(f"the visible tests of {entry.test} pass it" + (
            " (only the hidden tests fail it)" if hidden else " (and so do the hidden tests)"))
    if entry.fails == "hidden":
        if visible is not None:
            problems.append(f"the entry says only the hidden tests fail it, but the visible tests "
                            f"do: {visible['ename']}: {visible['message'][:300]}")
        elif hidden is None:
            problems.append(f"neither the visible nor the hidden tests of {entry.test} fail it")
    failure = visible or hidden
    if failure is None:
        return problems, False
    message = f"{failure['ename']}: {failure['message']}"
    low = message.lower()
    if failure["ename"] == "stderr":
        problems.append(f"the test cell wrote to stderr instead of failing: {message[:300]}")
    if not failure["message"].strip():
        problems.append(f"the message is empty ({failure['ename']} with no text)")
    hit = bool(entry.names) and entry.names.lower() in low
    if entry.names and not hit:
        problems.append(f"the message does not name the misconception ({entry.names!r})")
    wrong = [p for p in entry.not_names if p.lower() in low]
    if wrong:
        problems.append(f"MISDIAGNOSIS: the message names {wrong}")
    if problems:
        problems.append("the message was:\n    " + message.strip().replace("\n", "\n    "))
    return problems, hit


def variant_explanations(path):
    """[(grade_id, text)] of the known-mistake explanations in the visible test cells.

    The string keys of the dicts passed as ``variants`` (for an f-string, its longest literal
    part). Every one of them is a message a student can get, so each must be the message of
    some catalogued wrong answer.
    """
    found = []
    for cell in nt.student_version(nt.read(path)).cells:
        if not nt.is_graded_test(cell):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not _isinstance_keyword(node, "variants"):
                continue
            for key in node.value.keys if isinstance(node.value, ast.Dict) else ():
                text = _literal_text(key)
                if text:
                    found.append((nt.nbgrader(cell)["grade_id"], text))
    return found


def _isinstance_keyword(node, name):
    return isinstance(node, ast.keyword) and node.arg == name


def _literal_text(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        return max(parts, key=len) if parts else ""
    return ""


def messages(outcome):
    """Every failure message of one entry's outcome (visible and hidden parts)."""
    texts = []
    for test in outcome.get("tests", {}).values():
        texts += [part["message"] for part in (test["visible"], test["hidden"]) if part]
    return texts


# What a message says, for the fresh set's figures: a cause ("Likely cause", or a first line that
# names the mistake), a description of the difference (where, how close, on which inputs), or
# nothing beyond "is not right / differs" (bare).
_GENERIC = ("entries differ from the expected values", "it differs from the expected value",
            "No single cause fits every input tried")
_DESCRIBED = ("Where:", "Only ", "only ", "agrees with the expected value", "\n  On ",
              "It is right on", "Every entry agrees", "Also: it changed", "The diagonal is",
              "is the same number")


def message_kind(failure):
    """'named', 'described', 'bare' or 'traceback' for one failure ({"ename", "message"})."""
    if failure["ename"] not in ("AssertionError", "ForbiddenCall"):
        return "traceback"
    text = failure["message"]
    first = text.split("\n")[0]
    if "Likely cause" in text or not any(g in first for g in _GENERIC):
        return "named"
    return "described" if any(d in text for d in _DESCRIBED) else "bare"
