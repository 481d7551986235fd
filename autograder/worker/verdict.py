"""The verdict on one graded submission: a pure function of the source notebook and of the graded
notebook the trusted preprocessors wrote (never of anything the kernel could have written).

``grades_from_source`` gives the points, ``describe`` what the preprocessors recorded (failed tests'
messages, outcome flags), ``classify`` the status and the reason for it.
"""

from __future__ import annotations

from nbgrader import utils

from autograder.jobs import Grade, Outcome, Status
from autograder.worker.preprocessors.base import grade_id

# the outcome flags of a cell that a result keeps (per grade id)
_KEPT = (Outcome.TIMED_OUT, Outcome.MEMORY_ERROR, Outcome.NOT_RUN, Outcome.KERNEL_DIED,
         Outcome.RESTORED)


def grades_from_source(source_nb, graded_nb):
    """{grade_id: Grade} for every graded cell of the SOURCE notebook, computed here (the trusted
    side) from the graded notebook's verified cells.

    Points and the list of graded cells come only from the source: a submission's cells can neither
    add a graded cell nor change what one is worth.  An autograded test earns its points only when
    the trusted checker ran it and it passed there (CheckedExecute's ``checked`` record): nothing
    the student's kernel printed or sent decides it.
    """
    graded = {}
    for cell in graded_nb.cells:
        gid = grade_id(cell)
        if gid and gid not in graded:
            graded[gid] = cell
    grades = {}
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if not (gid and utils.is_grade(cell)) or gid in grades:
            continue
        points = float(cell.metadata.nbgrader.get("points", 0) or 0)
        if utils.is_solution(cell) or cell.cell_type != "code":
            grades[gid] = Grade(auto_score=None, max_score=points, needs_manual_grade=True)
            continue
        ran = graded.get(gid)
        flags = ran.metadata.get("autograder", {}) if ran is not None else {}
        passed = (flags.get(Outcome.CHECKED, {}).get("passed") is True
                  and not any(flags.get(f) for f in (Outcome.TIMED_OUT, Outcome.KERNEL_DIED,
                                                     Outcome.NOT_RUN)))
        grades[gid] = Grade(auto_score=points if passed else 0.0, max_score=points)
    return grades


def describe(nb, result):
    """Copy what the preprocessors recorded into ``result``: failed tests' messages (the checker's
    error), the outcome flags of the notebook and of its cells."""
    result.notes = dict(nb.metadata.get("autograder", {}))
    for cell in nb.cells:
        info = cell.metadata.get("autograder", {})
        grade = cell.metadata.get("nbgrader", {})
        gid = grade.get("grade_id")
        checked = info.get(Outcome.CHECKED, {})
        if gid and (any(info.get(flag) for flag in _KEPT) or checked.get("integrity")
                    or checked.get("grading_error")):
            result.cells[gid] = {k: v for k, v in info.items() if k != Outcome.CHECKED}
            for key in ("integrity", "grading_error"):
                if checked.get(key):
                    result.cells[gid][key] = checked[key]
        if not (grade.get("grade") and cell.cell_type == "code") or checked.get("passed"):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                result.failures.append({"grade_id": gid, "ename": output.ename,
                                        "message": str(output.evalue)[:2000]})
                break


def _integrity_reason(result):
    """'integrity: ...' for a submission whose tests or cells were interfered with, else None."""
    notes = result.notes
    parts = []
    if notes.get(Outcome.RECONCILED):
        parts.append("cell metadata changed (restored from the source notebook: "
                     + "; ".join(notes[Outcome.RECONCILED][:10]) + ")")
    by_reason = {}
    for gid, info in result.cells.items():
        if info.get("integrity"):
            by_reason.setdefault(info["integrity"], []).append(gid)
    for why, gids in by_reason.items():
        parts.append(f"{', '.join(gids)} scored 0: {why}")
    return ("integrity: " + "; ".join(parts)) if parts else None


def classify(result, job, error=None):
    """(status, reason): never a bare number -- say why a score is what it is."""
    notes, cells = result.notes, result.cells
    if error:
        return Status.ERROR, error
    if notes.get(Outcome.CHECKER_FAILED):
        return Status.ERROR, f"the grader's checker failed: {notes[Outcome.CHECKER_FAILED]}"
    failing = [(gid, c["grading_error"]) for gid, c in cells.items() if c.get("grading_error")]
    if failing:
        return Status.ERROR, ("the grader could not run " + ", ".join(g for g, _ in failing)
                              + ": " + failing[0][1])
    if notes.get(Outcome.NO_METADATA):
        return Status.MANUAL, ("no nbgrader cell metadata in the submitted notebook (cells copied "
                               "into a fresh notebook?): its answers cannot be matched to the "
                               "tests, so it needs manual grading")
    extra = []
    timed = [gid for gid, c in cells.items() if c.get(Outcome.TIMED_OUT)]
    if timed:
        extra.append(f"timed out after {job.cell_timeout} s (scored 0): {', '.join(timed)}")
    restored = notes.get(Outcome.RESTORED_CELLS)
    if restored:
        extra.append(f"deleted cells restored and graded: {', '.join(restored)}")
    tail = ("; " + "; ".join(extra)) if extra else ""
    integrity = _integrity_reason(result)
    if integrity:               # first: interference is what a reviewer must see
        if notes.get(Outcome.KERNEL_DIED):
            tail = f"; the kernel died while running {notes[Outcome.KERNEL_DIED]}{tail}"
        return Status.INTEGRITY, integrity + tail
    if notes.get(Outcome.KERNEL_DIED):
        return Status.CRASHED, (f"the kernel died while running {notes[Outcome.KERNEL_DIED]} "
                                f"(os._exit, a crash, or memory beyond {job.memory_mb} MB); the "
                                f"cells after it were not run and score 0{tail}")
    if notes.get(Outcome.INTERRUPT_IGNORED):
        return Status.TIMEOUT, (f"{notes[Outcome.INTERRUPT_IGNORED]} timed out and the kernel "
                                "ignored the interrupt (SIGINT): it was stopped, the cells after "
                                f"it were not run and score 0{tail}")
    if notes.get(Outcome.BUDGET_EXCEEDED):
        return Status.TIMEOUT, (f"the notebook used up its {job.notebook_timeout} s budget; cells "
                                f"from {notes[Outcome.BUDGET_EXCEEDED]} on were not run and score "
                                f"0{tail}")
    memory = [gid for gid, c in cells.items() if c.get(Outcome.MEMORY_ERROR)]
    if memory:
        return Status.MEMORY, (f"MemoryError (limit {job.memory_mb} MB) in {', '.join(memory)}; "
                               f"the rest was graded{tail}")
    manual = [gid for gid, g in result.grades.items() if g.needs_manual_grade]
    if manual:
        return Status.NEEDS_MANUAL, f"cells that need manual grading: {', '.join(manual)}{tail}"
    return Status.GRADED, tail[2:]
