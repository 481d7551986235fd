"""``make bench-grade``: where grading time goes, against what people would use instead, in one run.

One class -- ``-n`` students, each with a solved submission of every notebook -- is graded from the
same files by:

- **plain nbclient** (the floor): each notebook executed by ``nbclient`` in this process, one after
  the other, a fresh kernel each (its start included), the kernel set up as ours is (Agg backend,
  one BLAS thread).  The source notebook runs, hidden tests included: the work grading must do;
- **plain nbgrader**: ``nbgrader autograde <assignment>`` for each assignment, its own course folder
  and stock configuration, serial (nbgrader's way);
- **ours**, ``autograder.stages.autograde.autograde`` with 1 and with ``--workers`` local worker
  processes, sandboxed, every test cell in the trusted checker (autograder.checker), kernels forked
  warm (autograder.sandbox.warm);
- **ours on Dask**: the same on a local Dask cluster of ``--workers`` processes (1 thread each),
  started before the clock (a ``--cluster`` runs on a cluster that is already up).  Local and Dask
  are both measured from cold: each starts its job forkserver(s) -- one per Dask worker, as on
  separate machines -- and its zygotes within the clock.

Per notebook it prints the floor, plain nbgrader (its command's wall time / students) and ours
with one worker (the median of the seconds from starting a job's worker to having its result);
then where ours spends a notebook, and the checker's share of it (its start, its round trips to
the kernel and their time, the test cells' time); then the class's wall times and the ratios: ours
/ floor per notebook, plain nbgrader / ours with ``--workers`` workers, Dask / local.  Everything
is measured in this run: timings on a shared machine swing with load, ratios much less.

``--sandbox-rounds R`` adds, per notebook, one worker grading the solution sandboxed and unsandboxed
in alternation (best of R): what the sandbox costs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Execute.timeout = {timeout}
"""
# The kernel's environment in grading (autograder.sandbox.Sandbox.environment): the floor gets it too.
KERNEL_ENV = {"MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def _solved_class(course, names, students, out):
    import nbformat
    from autograder.tools.sample_class import make_submission
    for name in names:
        source = nbformat.read(course.root / "source" / name / f"{name}.ipynb", 4)
        release = nbformat.read(course.release_path(name), 4)
        for i in range(students):
            folder = Path(out) / f"s{i:03d}" / name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_submission("perfect", source, release), folder / f"{name}.ipynb")


def floor(course, names, students, timeout):
    """{notebook: [seconds per run]} of plain nbclient running the source notebook."""
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)            # inherited by the kernels nbclient starts
    seconds = {}
    sockets = tempfile.mkdtemp(prefix="bench-floor-")
    try:
        for name in names:
            path = course.root / "source" / name / f"{name}.ipynb"
            for _ in range(students):
                nb = nbformat.read(path, 4)
                started = time.monotonic()
                # ipc sockets, as ours use (and no warning about unencrypted TCP on stderr)
                km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                        ip=os.path.join(sockets, "k"))
                NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                               resources={"metadata": {"path": str(path.parent)}}).execute()
                seconds.setdefault(name, []).append(time.monotonic() - started)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return seconds


def plain_nbgrader(course, names, root, timeout):
    """({notebook: wall seconds of its ``nbgrader autograde``}, graded count) in a stock course."""
    root.mkdir(parents=True)
    for name in names:
        (root / "source" / name).mkdir(parents=True)
        shutil.copyfile(course.root / "source" / name / f"{name}.ipynb",
                        root / "source" / name / f"{name}.ipynb")
    (root / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(root=str(root), timeout=timeout))
    shutil.copytree(course.root / "submitted", root / "submitted")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ.get("PATH", ""))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for name in names:
        subprocess.run(nbgrader + ["generate_assignment", name, "--force"], cwd=root, env=env,
                       check=True, capture_output=True)
    seconds = {}
    for name in names:
        started = time.monotonic()
        subprocess.run(nbgrader + ["autograde", name, "--force"], cwd=root, env=env,
                       capture_output=True)
        seconds[name] = time.monotonic() - started
    graded = len(list((root / "autograded").glob("*/*/*.ipynb")))
    return seconds, graded


def local_cluster(workers):
    """A LocalCluster as ``dask worker`` would start it for grading: processes, 1 thread each,
    non-daemonic (jobs forked from a preloaded forkserver), no memory manager, no dashboard."""
    import dask
    from distributed import LocalCluster
    with dask.config.set({"distributed.worker.daemon": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, memory_limit=0)


def _timed_grader(workers):
    """LocalProcessGrader that also records each job's wall time (worker start to result)."""
    from autograder.engines.local import LocalProcessGrader

    class Timed(LocalProcessGrader):
        def _run_in_slot(self, job, spec):
            started = time.monotonic()
            result = super()._run_in_slot(job, spec)
            result.job_seconds = time.monotonic() - started      # the bench's own note
            return result
    return Timed(workers)


def _ours(course, grader):
    from autograder.stages.autograde import autograde
    started = time.monotonic()
    results = autograde(course, force=True, progress=False, grader=grader)
    return time.monotonic() - started, results


def run_bench(args):
    from autograder.stages.build import build
    from autograder.stages.collect import collect
    from autograder.course import Course

    tmp = Path(args.course) if args.course else Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    cluster = None
    try:
        course = Course(tmp / "ours", args.notebooks, cell_timeout=args.cell_timeout,
                        notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
        names = [args.assignment] if args.assignment else course.assignments()
        n, workers = args.students, args.workers
        if n:
            build(course, names)
            _solved_class(course, names, n, tmp / "class")
            collect(course, tmp / "class")
            total = n * len(names)
            print(f"one class: {n} students x {len(names)} notebooks = {total} solved submissions "
                  f"(this machine: {os.cpu_count()} CPUs); each engine grades all of them ...",
                  flush=True)
            floor_s = floor(course, names, n, args.cell_timeout)
            plain_s, plain_ok = plain_nbgrader(course, names, tmp / "plain", args.cell_timeout)
            # local and Dask both from cold: each starts its job forkserver(s) and zygotes in
            # the clock (the 1-worker run comes last: it would leave the forkserver warm)
            many_s, many = _ours(course, _timed_grader(workers))
            started = time.monotonic()
            cluster = local_cluster(workers)
            dask_start = time.monotonic() - started
            from autograder.engines.cluster import DaskGrader
            dask_s, on_dask = _ours(course, DaskGrader(cluster.scheduler_address))
            one_s, one = _ours(course, _timed_grader(1))
            _table(names, n, floor_s, plain_s, plain_ok, one_s, one, many_s, many, dask_s,
                   on_dask, dask_start, workers)
        if args.sandbox_rounds:
            sandbox_cost(args, tmp / "cost")
    finally:
        if cluster is not None:
            cluster.close()
        if not args.course:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _graded(results):
    return sum(r.status == "graded" for r in results)


def _table(names, n, floor_s, plain_s, plain_ok, one_s, one, many_s, many, dask_s, on_dask,
           dask_start, workers):
    med = statistics.median
    print(f"\nper notebook (seconds; floor and ours: median of {n}; nbgrader: its command / {n})")
    print(f"{'notebook':26s} {'nbclient':>9s} {'nbgrader':>9s} {'ours':>9s} {'ours /':>8s}")
    print(f"{'':26s} {'(floor)':>9s} {'(serial)':>9s} {'1 worker':>9s} {'floor':>8s}")
    worst = 0.0
    for name in names:
        ours = med(r.job_seconds for r in one if r.assignment == name)
        ratio = ours / med(floor_s[name])
        worst = max(worst, ratio)
        print(f"{name:26s} {med(floor_s[name]):9.2f} {plain_s[name] / n:9.2f} {ours:9.2f} "
              f"{ratio:7.2f}x")
    _where(names, one)
    total = n * len(names)
    floor_total = sum(sum(v) for v in floor_s.values())
    plain_total = sum(plain_s.values())
    rows = [("plain nbclient, serial (the floor)", floor_total, total),
            ("plain `nbgrader autograde`, serial", plain_total, plain_ok),
            ("ours, 1 worker", one_s, _graded(one)),
            (f"ours, {workers} local worker processes", many_s, _graded(many)),
            (f"ours, local {workers}-worker Dask cluster", dask_s, _graded(on_dask))]
    print(f"\nthe class ({total} notebooks), wall time")
    print(f"{'':42s} {'seconds':>8s} {'s/notebook':>11s} {'graded':>8s}")
    for label, seconds, ok in rows:
        print(f"{label:42s} {seconds:8.1f} {seconds / total:11.2f} {ok:>4d}/{total}")
    print(f"\nours / floor, worst notebook (1 worker):          {worst:.2f}x   (target <= 1.0x)")
    print(f"ours / floor, the class (1 worker):               {one_s / floor_total:.2f}x   "
          "(sandbox and checker included)")
    print(f"plain nbgrader / ours with {workers} workers (class):   {plain_total / many_s:.2f}x   "
          "(target >= 3x)")
    print(f"Dask / local, {workers} workers (class):                {dask_s / many_s:.2f}x   "
          f"(target <= 1.10x; cluster start-up {dask_start:.1f} s not counted)")
    print("ours also: the student's kernel in a sandbox, every test in a trusted checker, restored "
          "tests, a per-notebook time bound, and a status and reason for every submission")


def _where(names, results):
    """Where ours spends a notebook (1 worker, medians): the job's process start, nbgrader's own
    steps (sanitize, restore, scores into the job's gradebook), the kernel's start, the test
    cells (the checker running them, the kernel answering), the other cells, the kernel's
    shutdown; then the checker's share: its start (a fork), its round trips to the kernel per
    notebook and the time of one, and what the test cells cost beyond their round trips."""
    med = statistics.median
    parts = ("process", "nbgrader", "kernel", "tests", "cells", "shutdown")
    print("\nwhere ours spends a notebook (1 worker; seconds, medians): process = the job's "
          "worker starting, nbgrader = its pre- and post-processing, tests = the test cells "
          "(checker and kernel)")
    print(f"{'notebook':26s}" + "".join(f"{p:>9s}" for p in parts))
    checker = {}
    for name in names:
        rows, share = [], []
        for r in results:
            timing = r.notes.get("timing")
            if r.assignment != name or not timing:
                continue
            rest = timing["execute"] - timing["kernel_start"] - timing["tests"] - timing["cells"]
            rows.append((r.job_seconds - r.seconds, r.seconds - timing["execute"],
                         timing["kernel_start"], timing["tests"], timing["cells"], rest))
            c = timing.get("checker", {})
            share.append((c.get("start", 0.0), c.get("requests", 0),
                          c.get("roundtrip", 0.0) / max(1, c.get("requests", 0)),
                          c.get("roundtrip", 0.0), timing["tests"] / max(r.job_seconds, 1e-9)))
        if rows:
            print(f"{name:26s}" + "".join(f"{med(col):9.2f}" for col in zip(*rows)))
            checker[name] = [med(col) for col in zip(*share)]
    print("\nthe checker's share (1 worker, medians): its start, round trips to the kernel per "
          "notebook, one round trip, all of them, the test cells' share of the notebook's time")
    print(f"{'notebook':26s} {'start ms':>9s} {'trips':>7s} {'ms/trip':>8s} {'trips s':>8s} "
          f"{'tests %':>8s}")
    for name, (start, trips, per, total, fraction) in checker.items():
        print(f"{name:26s} {1000 * start:9.1f} {trips:7.0f} {1000 * per:8.3f} {total:8.3f} "
              f"{100 * fraction:7.1f}%")


def sandbox_cost(args, root):
    """Seconds per notebook graded with and without the sandbox, one worker."""
    import nbformat
    from autograder.stages.autograde import autograde
    from autograder.stages.build import build
    from autograder.stages.collect import collect
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
                seconds[sandboxed].append(result.seconds)
        on, off = min(seconds[True]), min(seconds[False])
        totals[True] += on
        totals[False] += off
        print(f"{name:32s} {on:10.2f} {off:12.2f} {100 * (on - off) / off:+8.1f}%", flush=True)
    on, off = totals[True], totals[False]
    print(f"{'all notebooks':32s} {on:10.2f} {off:12.2f} {100 * (on - off) / off:+8.1f}%")
