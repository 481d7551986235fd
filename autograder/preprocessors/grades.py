"""The grades, computed on the trusted side from the source notebook and the verified cells."""

from __future__ import annotations

from nbgrader import utils

from autograder.preprocessors.base import _grade_id


def grades_from_source(source_nb, graded_nb):
    """{grade_id: {auto_score, max_score, needs_manual_grade}} for every graded cell of the SOURCE
    notebook, computed here (the trusted side) from the graded notebook's verified cells.

    Points and the list of graded cells come only from the source: a submission's cells can neither
    add a graded cell nor change what one is worth.  An autograded test earns its points only when
    UnguardCells verified its seal and it has no error and no stderr output (nbgrader's rule).
    """
    graded = {}
    for cell in graded_nb.cells:
        gid = _grade_id(cell)
        if gid and gid not in graded:
            graded[gid] = cell
    grades = {}
    for cell in source_nb.cells:
        gid = _grade_id(cell)
        if not (gid and utils.is_grade(cell)) or gid in grades:
            continue
        points = float(cell.metadata.nbgrader.get("points", 0) or 0)
        if utils.is_solution(cell) or cell.cell_type != "code":
            grades[gid] = {"auto_score": None, "max_score": points, "needs_manual_grade": True}
            continue
        ran = graded.get(gid)
        passed = (ran is not None and ran.metadata.get("autograder", {}).get("verified")
                  and not any(o.output_type == "error"
                              or (o.output_type == "stream" and o.get("name") == "stderr")
                              for o in ran.get("outputs", [])))
        grades[gid] = {"auto_score": points if passed else 0.0, "max_score": points,
                       "needs_manual_grade": False}
    return grades
