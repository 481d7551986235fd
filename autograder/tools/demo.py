"""``make grade-demo``: the whole pipeline on a generated sample class, ending in the summary.

The class is made from the source notebooks themselves (autograder.tools.sample_class): one
student per kind of submission, from perfect to broken, for every notebook.  Everything goes to a
separate course folder (course-demo/ by default), recreated on each run, so a real course/ is never
touched.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from autograder.jobs import CELL_TIMEOUT, NOTEBOOK_TIMEOUT

REPO = Path(__file__).resolve().parents[2]


def _step(title):
    print(f"\n=== {title}", flush=True)


def run_demo(args):
    from autograder.stages.autograde import autograde
    from autograder.stages.build import build
    from autograder.stages.collect import collect
    from autograder.course import Course
    from autograder.stages.export import export, rows
    from autograder.stages.feedback import feedback
    from autograder.stages.summary import plot, render
    from autograder.tools.sample_class import KINDS, write_class

    root = Path(args.course or REPO / "course-demo")
    # The demo's infinite loop would cost a full default cell timeout: use shorter bounds.
    cell_timeout = 10 if args.cell_timeout == CELL_TIMEOUT else args.cell_timeout
    notebook_timeout = 90 if args.notebook_timeout == NOTEBOOK_TIMEOUT else args.notebook_timeout
    marker = root / ".autograder-demo"
    if root.exists() and any(root.iterdir()) and not marker.exists():
        from autograder.course import CourseError
        raise CourseError(f"{root} exists and is not a demo folder; the demo recreates its "
                          "folder from scratch, so give it an empty or new --course")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    marker.write_text("made by `python -m autograder demo`; deleted and rebuilt on each run\n")
    course = Course(root, args.notebooks, cell_timeout=cell_timeout,
                    notebook_timeout=notebook_timeout, memory_mb=args.memory_mb)
    started = time.monotonic()

    _step(f"build: student versions of {', '.join(course.assignments())}")
    for name, what in build(course).items():
        print(f"  {name}: {what}")

    _step("sample class: " + ", ".join(KINDS))
    folder = write_class(root / "sample_class", course)
    print(f"  written to {folder} (<student>/<assignment>/<assignment>.ipynb)")

    _step("collect")
    for student, assignment, what in collect(course, folder):
        print(f"  {student} / {assignment}: {what}")

    _step(f"autograde ({args.workers} workers, every kernel in the sandbox, {cell_timeout} s per "
          f"cell, {notebook_timeout} s per notebook)")
    autograde(course, workers=args.workers, force=True)

    _step("feedback")
    made = feedback(course)
    print(f"  {len(made)} HTML files in {root / 'feedback'} (hidden tests removed)")

    _step("export")
    print(f"  {export(course)}")

    _step("summary")
    table = rows(course)
    print(render(table))
    print(f"\nplot saved to {plot(table, root / 'reports' / 'summary.png')}")
    print(f"\ndemo done in {time.monotonic() - started:.0f} s; everything is in {root}")
    return 0
