"""The instructor's summary: scores per student and assignment, what the class got wrong, a plot.

Misconceptions come from the failed tests' messages: nnlib.checks ends a message with
"Likely cause: ..." when the answer matches a known wrong variant; a test whose answer called
nnlib's own implementation fails with ``nnlib.checks.ForbiddenCall``, recognised by its type (the
message's wording is the student's, free to change; ``forbid(message=...)`` replaces it whole).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from autograder.course import files
from autograder.jobs import FLAGGED as _FLAGGED, NO_SCORE

_CAUSE = re.compile(r"Likely cause:\s*(.+?)(?:\n\s*(?:Hint:|expected|got|max abs)|\Z)", re.S)
FLAGGED = _FLAGGED | {"not graded", "stale"}


def misconception(failure):
    """A short label for what a failed test says went wrong (None when it says nothing)."""
    ename, message = failure.get("ename", ""), failure.get("message", "")
    if ename == "ForbiddenCall":
        return f"called nnlib's own implementation in {failure.get('grade_id') or 'a test'} instead of writing it"
    match = _CAUSE.search(message)
    if match:
        text = " ".join(match.group(1).split())
        return text if len(text) <= 110 else text[:107] + "..."
    if ename == "NotImplementedError":
        return "not attempted (the stub still raises NotImplementedError)"
    if ename in ("KeyboardInterrupt", "CellTimeoutError"):
        return "too slow or an infinite loop (the cell timed out)"
    if ename == "NotRun":
        return "not run (kernel died or time budget used up earlier)"
    if ename == "NameError":
        return "a name is not defined (the answer cell failed or was not run)"
    if ename in ("SyntaxError", "IndentationError"):
        return "syntax error"
    if ename == "stderr":
        return "wrote to stderr in a test cell"
    return None


def summarize(rows):
    """(table text, tests Counter, misconceptions Counter, flagged rows)."""
    students = sorted({r["student"] for r in rows})
    assignments = sorted({r["assignment"] for r in rows})
    cell = {}
    for r in rows:
        if r["score"] is None:
            text = r["status"]
        else:
            text = f"{r['score']:g}/{r['max_score']:g}"
            if r["status"] != "graded":
                text += f" {r['status']}"
        cell[(r["student"], r["assignment"])] = text
    width = max([len("student")] + [len(s) for s in students])
    cols = [max([len(a)] + [len(cell.get((s, a), "-")) for s in students]) for a in assignments]
    lines = ["student".ljust(width) + "  " + "  ".join(a.ljust(w) for a, w in zip(assignments, cols))]
    lines.append("-" * len(lines[0]))
    for s in students:
        lines.append(s.ljust(width) + "  " + "  ".join(cell.get((s, a), "-").ljust(w)
                                                         for a, w in zip(assignments, cols)))
    tests, causes = Counter(), Counter()
    for r in rows:
        if r["status"] in NO_SCORE | {"not graded", "stale"}:
            continue
        for failure in r.get("failures", []):
            tests[f"{r['assignment']}:{failure['grade_id']}"] += 1
            label = misconception(failure)
            if label:
                causes[label] += 1
    flagged = [r for r in rows if r["status"] in FLAGGED]
    return "\n".join(lines), tests, causes, flagged


def render(rows, top=10):
    """The summary as text."""
    table, tests, causes, flagged = summarize(rows)
    out = []
    unsandboxed = [r for r in rows if not r.get("sandboxed", True)]
    if unsandboxed:
        out += [f"WARNING: {len(unsandboxed)} of {len(rows)} results were graded WITHOUT the sandbox "
                "(--no-sandbox): the student's code ran with the grader's rights, so these "
                "scores cannot be trusted (their reason says UNSANDBOXED).", ""]
    out += ["Scores (score/max; a status says why a number is missing or partial)", table, ""]
    if flagged:
        out.append("Needs attention (never a silent 0):")
        for r in flagged:
            out.append(f"  {r['student']} / {r['assignment']}: {r['status']} -- {r['reason']}")
        out.append("")
    notes = [r for r in rows if r["status"] == "graded" and r.get("reason")]
    if notes:
        out.append("Notes:")
        for r in notes:
            out.append(f"  {r['student']} / {r['assignment']}: {r['reason']}")
        out.append("")
    graded = len([r for r in rows if r["status"] not in NO_SCORE | {"not graded", "stale"}])
    out.append(f"Tests failed most often (out of {graded} graded submissions):")
    out += [f"  {n:3d}  {name}" for name, n in tests.most_common(top)] or ["  none"]
    out.append("")
    out.append("Misconceptions most often (from the checks' messages):")
    out += [f"  {n:3d}  {label}" for label, n in causes.most_common(top)] or ["  none"]
    return "\n".join(out)


def plot(rows, path, top=8):
    """Bar charts of the most failed tests and the most frequent misconceptions, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, tests, causes, _ = summarize(rows)
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), constrained_layout=True)
    for ax, counter, title in ((axes[0], tests, "Tests failed most often"),
                               (axes[1], causes, "Misconceptions most often")):
        items = counter.most_common(top)[::-1]
        labels = [(name if len(name) <= 70 else name[:67] + "...") for name, _ in items]
        ax.barh(range(len(items)), [n for _, n in items], color="#4C72B0")
        ax.set_yticks(range(len(items)), labels, fontsize=8)
        ax.set_xlabel("number of submissions")
        ax.set_title(title)
        if not items:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
    path = Path(path)
    try:
        with files.replacing(path, "wb") as handle:
            fig.savefig(handle, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
