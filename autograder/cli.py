"""``python -m autograder``: one command per grading step (see ``--help`` of each)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from autograder.jobs import CELL_TIMEOUT, MEMORY_LIMIT_MB, NOTEBOOK_TIMEOUT

REPO = Path(__file__).resolve().parents[1]


NO_SANDBOX_WARNING = ("WARNING: --no-sandbox: student code runs with this process's rights (files, "
                      "network, gradebook); every result is marked UNSANDBOXED.  For debugging only.")


def _course(args, create=False):
    """The course of ``--course``: it must exist (be built) unless ``create`` (build, student)."""
    from autograder.course import Course, CourseError
    sandbox = not getattr(args, "no_sandbox", False)
    if not sandbox:
        print(NO_SANDBOX_WARNING, file=sys.stderr)
    course = Course(args.course or REPO / "course", args.notebooks, cell_timeout=args.cell_timeout,
                    notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb,
                    sandbox=sandbox, db=getattr(args, "db", None))
    if not create and not course.exists():
        what = "no such folder" if not course.root.exists() else "not a course folder (never built)"
        raise CourseError(f"no course at {course.root} ({what}): `python -m autograder build "
                          f"--course {course.root}` makes one")
    if not create:
        course.check_db()
    return course


def _waits(args):
    """The keyword arguments of a writing command: wait for the course's writer or refuse."""
    return {"wait": args.wait, "on_wait": lambda line: print(line, file=sys.stderr, flush=True)}


def _warn_problems(course):
    for path, why in sorted(course.problems.items()):
        print(f"warning: {path} cannot be read ({why}); treated as not graded", file=sys.stderr)


def cmd_build(args):
    from autograder.stages.build import build
    course = _course(args, create=True)
    for name, what in build(course, args.assignment or None, force=args.force,
                            **_waits(args)).items():
        print(f"{name}: {what} -> {course.release_path(name)}")
    return 0


def cmd_student(args):
    from autograder.stages.build import student
    course = _course(args, create=True)
    for name, what in student(course, args.folder).items():
        print(f"{name}: {what}")
    return 0


def cmd_collect(args):
    from autograder.stages.collect import collect
    course = _course(args)
    for student, assignment, what in collect(course, args.folder, **_waits(args)):
        print(f"{student} / {assignment}: {what}")
    return 0


def cmd_autograde(args):
    from autograder.stages.autograde import autograde
    course = _course(args)
    grader = None
    if args.cluster:           # every job to a running Dask cluster, as data (autograder.cluster)
        from autograder.engines.cluster import DaskGrader
        grader = DaskGrader(args.cluster, worker_wait=args.cluster_wait)
    results = autograde(course, workers=args.workers, force=args.force,
                        students=args.student or None,
                        assignments=args.assignment or None, progress=not args.no_progress,
                        grader=grader, **_waits(args))
    _warn_problems(course)
    if not results:
        print("nothing to grade (every submission is already graded; --force regrades)")
    for r in results:
        score = "-" if r.score is None else f"{r.score:g}/{r.max_score:g}"
        reason = f"  ({r.reason})" if r.reason else ""
        print(f"{r.student} / {r.assignment}: {score} {r.status}{reason}")
    return 0


def cmd_feedback(args):
    from autograder.stages.feedback import feedback
    course = _course(args)
    made = feedback(course, **_waits(args))
    for path in made:
        print(path)
    if not made:
        print("no autograded submissions yet: run autograde first")
    return 0


def cmd_export(args):
    course = _course(args)
    if args.format == "canvas":
        from autograder.stages.canvas import export_canvas
        path = export_canvas(course, args.output, roster=args.roster)
    else:
        from autograder.stages.export import export
        path = export(course, args.output)
    _warn_problems(course)
    print(f"grades written to {path}")
    return 0


def cmd_summary(args):
    from autograder.stages.export import rows
    from autograder.stages.summary import plot, render
    course = _course(args)
    table = rows(course)
    _warn_problems(course)
    if not table:
        print("no submissions yet: collect and autograde first")
        return 0
    print(render(table))
    png = plot(table, args.plot or course.root / "reports" / "summary.png")
    print(f"\nplot saved to {png}")
    return 0


def cmd_validate(args):
    from autograder.course.submission import unreadable_notebook
    from autograder.student.validate import validate
    path = Path(args.notebook)
    if not path.exists():
        print(f"no such notebook: {args.notebook}", file=sys.stderr)
        return 2
    problem = "is a folder" if path.is_dir() else unreadable_notebook(path)
    if problem:
        print(f"{args.notebook} {problem}; open it in JupyterLab and save it again, or start "
              f"from a fresh copy of the assignment", file=sys.stderr)
        return 2
    return validate(args.notebook, cell_timeout=args.cell_timeout)


def cmd_sandbox_check(args):
    from autograder.sandbox.check import check
    ok, lines = check()
    for line in lines:
        print(line)
    if ok:
        from autograder.sandbox.warm import warm_check
        print(warm_check())
    print("sandbox: OK, autograde runs every kernel in it" if ok else
          "sandbox: NOT AVAILABLE, autograde refuses to grade (see above how to fix)")
    return 0 if ok else 1


def cmd_demo(args):
    from autograder.tools.demo import run_demo
    return run_demo(args)


def cmd_bench(args):
    from autograder.tools.bench import run_bench
    return run_bench(args)


def cmd_bench_class(args):
    from autograder.tools.bench_class import run_bench_class
    return run_bench_class(args)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade the course notebooks with nbgrader: build the student versions, collect "
                    "submissions, autograde, feedback, export, summary.  notebooks/*.ipynb is the "
                    "source; everything else is generated in the course folder.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", default=None,
                        help="course folder (generated, git-ignored; default: course/ in the "
                             "repository; course-demo/ for demo, a temporary folder for bench)")
    common.add_argument("--notebooks", default=str(REPO / "notebooks"),
                        help="folder of source notebooks, one assignment each (default: %(default)s)")
    common.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT,
                        help="seconds a single cell may run (default: %(default)s)")
    common.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT,
                        help="seconds for a whole notebook, all cells together (default: %(default)s)")
    common.add_argument("--memory-mb", type=int, default=MEMORY_LIMIT_MB,
                        help="memory limit of each grading worker and its kernel (default: %(default)s)")
    common.add_argument("--db", default=None,
                        help="the gradebook's database URL, e.g. postgresql://user@host/grades "
                             "(default: SQLite COURSE/gradebook.db); remembered in "
                             "COURSE/autograder.json once it has connected")
    common.add_argument("--wait", action="store_true",
                        help="if another command is writing to the course, wait for it to finish "
                             "(default: refuse at once, naming it)")
    common.add_argument("--debug", action="store_true",
                        help="show the traceback of an error, not only its one-line message")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name, func, help_text, description=None):
        p = sub.add_parser(name, parents=[common], help=help_text,
                           description=description or help_text)
        p.set_defaults(func=func)
        return p

    p = add("build", cmd_build, "student versions (solutions -> stubs, hidden tests removed) into "
            "COURSE/release/<assignment>/")
    p.add_argument("assignment", nargs="*", help="assignment names (default: every notebook)")
    p.add_argument("--force", action="store_true", help="rebuild even if the source is unchanged")

    p = add("student", cmd_student, "copy the student versions to a working folder, never "
            "overwriting a file that is already there (used by `make lab`)")
    p.add_argument("--folder", default=str(REPO / "student"), help="default: %(default)s")

    p = add("collect", cmd_collect, "take submissions from FOLDER/<student>/<assignment>/*.ipynb "
            "(nbgrader collect or an LMS export) into COURSE/submitted; a resubmission replaces "
            "the old one, which is archived with its grade")
    p.add_argument("folder", help="folder laid out <student>/<assignment>/<notebook>.ipynb")

    p = add("autograde", cmd_autograde, "grade every new or changed submission: one isolated "
            "worker process per submission, the student's kernel in a sandbox (no network, no "
            "other files, bounded), a per-cell timeout and a bound for the whole notebook")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at the same time (default: CPU count, %(default)s)")
    p.add_argument("--force", action="store_true", help="regrade everything")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--cluster", metavar="tcp://HOST:PORT",
                   help="grade on this running Dask cluster (`dask scheduler` + `dask worker`s "
                        "with the course installed) instead of local processes: jobs and results "
                        "travel as data, workers need no shared folder and never see the gradebook")
    p.add_argument("--cluster-wait", type=float, default=120, metavar="SECONDS",
                   help="with --cluster: how long to wait while the cluster has no worker at all "
                        "before stopping (the results recorded so far stay; default: %(default)s)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student kernels WITHOUT the sandbox (debugging only; every result is "
                        "marked UNSANDBOXED in the CSV and the summary)")

    add("feedback", cmd_feedback, "HTML feedback per submission into COURSE/feedback (hidden "
        "tests replaced by a neutral passed/failed line: no source, no traceback)")

    p = add("export", cmd_export, "grades as CSV: student, assignment, score, max_score, status, "
            "reason (a crash or a manual-grading flag is never a silent 0)")
    p.add_argument("--output", help="CSV path (default: COURSE/reports/grades.csv, or "
                                    "canvas.csv with --format canvas)")
    p.add_argument("--format", choices=("csv", "canvas"), default="csv",
                   help="csv: one row per submission with status and reason; canvas: Canvas's "
                        "gradebook import (one row per student, one column per assignment)")
    p.add_argument("--roster", help="with --format canvas: Canvas's own gradebook export, to fill "
                                    "in its student ids, sections and assignment columns")

    p = add("summary", cmd_summary, "table per student and assignment; the tests and misconceptions "
            "the class failed most often; a plot (PNG)")
    p.add_argument("--plot", help="PNG path (default: COURSE/reports/summary.png)")

    p = add("validate", cmd_validate, "run one notebook and exit 1 if a visible test fails, "
            "printing the tests' messages (unlike `nbgrader validate`, which exits 0)")
    p.add_argument("notebook", help="path of the notebook to check")

    add("sandbox-check", cmd_sandbox_check, "can this machine run student kernels in the sandbox "
        "(bubblewrap, user namespaces, cgroups)? starts one and says what is enforced")

    p = add("demo", cmd_demo, "the whole pipeline on a generated sample class (perfect to broken "
            "submissions of every notebook), ending in the summary")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)

    p = add("bench", cmd_bench, "where grading time goes: one class of solved submissions of every "
            "notebook graded by plain nbclient (the floor), plain serial `nbgrader autograde`, ours "
            "with 1 and N workers and ours on a local Dask cluster, with the ratios; then, per "
            "notebook, sandboxed vs unsandboxed")
    p.add_argument("-n", "--students", type=int, default=3,
                   help="students in the class, each submitting every notebook (default: "
                        "%(default)s; 0: only the sandbox-cost table)")
    p.add_argument("--sandbox-rounds", type=int, default=2,
                   help="per notebook, graded this many times with and without the sandbox "
                        "(default: %(default)s; 0: no sandbox-cost table)")
    p.add_argument("--assignment", help="only this notebook (default: all of them)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)

    p = add("bench-class", cmd_bench_class, "a generated class graded end to end at scale (in two "
            "halves): wall time, notebooks per minute, the client's peak memory, collect, export "
            "and summary times, and whether any step grows worse than linearly")
    p.add_argument("-n", "--students", type=int, default=200, help="default: %(default)s")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    return parser


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as Ctrl-C does (what is recorded stays), by the same path."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop_on(signum, frame):
    raise Stopped(signum)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from autograder.course import CourseError
    from autograder.course.errors import operational
    from autograder.engines.base import EngineStopped
    previous = {signum: signal.signal(signum, _stop_on) for signum in (signal.SIGTERM, signal.SIGHUP)}
    if not args.debug:
        # nbgrader's gradebook logs every database error it re-raises with its whole traceback
        # (tornado's application log); the error reaches the user as one line below
        import logging
        logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:
        name = f" ({exc.args[0]})" if isinstance(exc, Stopped) else ""
        print(f"interrupted{name}: every result recorded so far is kept; run the command again "
              f"to finish", file=sys.stderr)
        return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
    except CourseError as exc:
        _debug(args)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EngineStopped as exc:
        _debug(args)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        _debug(args)
        line = operational(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _debug(args):
    if getattr(args, "debug", False):
        import traceback
        traceback.print_exc()
