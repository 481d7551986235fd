"""``make bench-grade``: our pipeline vs plain serial ``nbgrader autograde``, and what the sandbox costs.

Table 1: a class of N synthetic submissions of one notebook (kinds that finish normally: perfect,
stub, partial, broken, tamperer, cheater, nometa) is graded twice, from the same files:

- plain: ``nbgrader autograde <assignment>`` (nbgrader's own CLI, stock preprocessors, one
  submission after the other) in its own course folder;
- ours: ``autograder.autograde`` with ``--workers`` isolated worker processes (default: CPU count),
  every kernel in the sandbox.

Table 2 (``--sandbox-rounds``, 0 skips it): for every notebook, the seconds one worker spends on a
submission (start to result) with and without the sandbox.  The two are graded in alternation,
one submission at a time, the first of each pair alternating too, so that a busy machine slows
both alike; as with ``timeit``, the best of the rounds is the estimate (load only adds time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_KINDS = ("perfect", "stub", "partial", "broken", "tamperer", "cheater", "nometa")
PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Execute.timeout = {timeout}
"""


def _class(course, assignment, n, out):
    import nbformat
    from autograder.tools.sample_class import make_submission
    source_nb = nbformat.read(course.root / "source" / assignment / f"{assignment}.ipynb", 4)
    release_nb = nbformat.read(course.release_path(assignment), 4)
    for i in range(n):
        kind = BENCH_KINDS[i % len(BENCH_KINDS)]
        folder = Path(out) / f"s{i:02d}_{kind}" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(kind, source_nb, release_nb), folder / f"{assignment}.ipynb")


def class_course(args, tmp):
    """(course in ``tmp/ours`` with the synthetic class of ``args.students`` collected, assignment)."""
    from autograder.build import build
    from autograder.collect import collect
    from autograder.course import Course
    course = Course(tmp / "ours", args.notebooks, cell_timeout=args.cell_timeout,
                    notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
    assignment = args.assignment or course.assignments()[0]
    build(course, [assignment])
    _class(course, assignment, args.students, tmp / "class")
    collect(course, tmp / "class")
    return course, assignment


def run_bench(args):
    from autograder.autograde import autograde
    tmp = Path(args.course) if args.course else Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    if args.students == 0:          # only the sandbox's cost
        try:
            sandbox_cost(args, tmp / "cost")
        finally:
            if not args.course:
                shutil.rmtree(tmp, ignore_errors=True)
        return 0
    try:
        ours, assignment = class_course(args, tmp)

        # plain nbgrader: same source notebook, its own course folder and stock config
        plain = tmp / "plain"
        (plain / "source" / assignment).mkdir(parents=True)
        shutil.copyfile(ours.root / "source" / assignment / f"{assignment}.ipynb",
                        plain / "source" / assignment / f"{assignment}.ipynb")
        (plain / "nbgrader_config.py").write_text(
            PLAIN_CONFIG.format(root=str(plain), timeout=args.cell_timeout))
        shutil.copytree(ours.root / "submitted", plain / "submitted")
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                   + os.environ.get("PATH", ""))
        nbgrader = [sys.executable, "-m", "nbgrader"]
        subprocess.run(nbgrader + ["generate_assignment", assignment, "--force"], cwd=plain,
                       env=env, check=True, capture_output=True)

        print(f"grading {args.students} submissions of {assignment} twice "
              f"(this machine: {os.cpu_count()} CPUs) ...", flush=True)
        started = time.monotonic()
        done = subprocess.run(nbgrader + ["autograde", assignment, "--force"], cwd=plain, env=env,
                              capture_output=True, text=True)
        plain_s = time.monotonic() - started
        plain_ok = len(list((plain / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")))

        started = time.monotonic()
        results = autograde(ours, workers=args.workers, force=True, progress=False)
        ours_s = time.monotonic() - started
        worker_s = [r.get("seconds") for r in results if r.get("seconds")]
        ours_ok = len([r for r in results if r["status"] not in ("error", "killed")])

        n = args.students
        rows = [
            ("plain `nbgrader autograde` (serial)", plain_s, plain_s / n, None, plain_ok),
            (f"ours, {args.workers} worker processes", ours_s, ours_s / n,
             sum(worker_s) / len(worker_s) if worker_s else None, ours_ok),
        ]
        print()
        print(f"{'':40s} {'class of ' + str(n):>12s} {'s/notebook':>11s} {'s/notebook':>11s} "
              f"{'graded':>7s}")
        print(f"{'':40s} {'(wall s)':>12s} {'(wall/N)':>11s} {'(1 worker)':>11s} {'':>7s}")
        for name, total, per, worker, ok in rows:
            print(f"{name:40s} {total:12.1f} {per:11.2f} "
                  f"{('-' if worker is None else f'{worker:.2f}'):>11s} {ok:>4d}/{n}")
        print(f"\nplain / ours (class wall time): {plain_s / ours_s:.2f}x"
              + ("" if done.returncode == 0 else
                 f"   (plain nbgrader exited with status {done.returncode})"))
        print("ours also: the student's kernel in a sandbox, tamper-proofing, restored tests, a "
              "per-notebook time bound, and a status/reason for every submission")
        if args.sandbox_rounds:
            sandbox_cost(args, tmp / "cost")
    finally:
        if not args.course:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def sandbox_cost(args, root):
    """Table 2: seconds per notebook graded with and without the sandbox, one worker."""
    import nbformat
    from autograder.autograde import autograde
    from autograder.build import build
    from autograder.collect import collect
    from autograder.course import Course
    from autograder.tools.sample_class import make_submission

    print(f"\nsandbox cost per notebook: one worker grading the solution, sandboxed and "
          f"unsandboxed in alternation, best of {args.sandbox_rounds}", flush=True)
    print(f"{'notebook':32s} {'sandboxed':>10s} {'unsandboxed':>12s} {'overhead':>9s}")
    print(f"{'':32s} {'(s)':>10s} {'(s)':>12s} {'':>9s}")
    course = Course(root, args.notebooks, cell_timeout=args.cell_timeout,
                    notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
    names = course.assignments()
    build(course, names)
    totals = {True: 0.0, False: 0.0}
    for name in names:
        source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", 4)
        release = nbformat.read(course.release_path(name), 4)
        inbox = root / "inbox"
        folder = inbox / "s" / name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission("perfect", source, release), folder / f"{name}.ipynb")
        collect(course, inbox)
        seconds = {True: [], False: []}
        for round_ in range(args.sandbox_rounds):
            for sandboxed in ((True, False) if round_ % 2 == 0 else (False, True)):
                course.sandbox = sandboxed
                result = autograde(course, workers=1, force=True, assignments=[name],
                                   progress=False)[0]
                seconds[sandboxed].append(result["seconds"])
        on, off = min(seconds[True]), min(seconds[False])
        totals[True] += on
        totals[False] += off
        print(f"{name:32s} {on:10.2f} {off:12.2f} {100 * (on - off) / off:+8.1f}%", flush=True)
    on, off = totals[True], totals[False]
    print(f"{'all notebooks':32s} {on:10.2f} {off:12.2f} {100 * (on - off) / off:+8.1f}%")
