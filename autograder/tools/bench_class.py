"""``make bench-class``: a whole class graded end to end, at scale (a benchmark, not a test).

A generated class of ``-n`` students (default 200) x every notebook: each student's submissions are
of one kind, cycling through those that end normally (perfect, partial, stub, broken, tamperer,
cheater, nometa: the slow and hostile kinds are the hostile tests' business).  The pipeline runs
twice, as a course grows: collect + autograde + export + summary on the first half of the class,
then again after the second half arrives (autograde then grades only the new half, but scans
everything).  Printed: wall time, notebooks per minute, the client's peak memory (RSS), and each
step's time for both halves.  Nothing may grow worse than linearly with the class: the second
half's autograde should take about as long as the first (no rescans of the whole gradebook per
result), and export and summary on the whole class about twice their time on half of it.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

KINDS = ("perfect", "partial", "stub", "broken", "tamperer", "cheater", "nometa")


def _write_students(course, names, first, last, out):
    import nbformat
    from autograder.tools.sample_class import make_submission
    notebooks = {name: (nbformat.read(course.root / "source" / name / f"{name}.ipynb", 4),
                        nbformat.read(course.release_path(name), 4)) for name in names}
    for i in range(first, last):
        kind = KINDS[i % len(KINDS)]
        for name, (source, release) in notebooks.items():
            folder = Path(out) / f"s{i:04d}_{kind}" / name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_submission(kind, source, release), folder / f"{name}.ipynb")


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(step, times, key, *args, **kwargs):
    started = time.monotonic()
    out = step(*args, **kwargs)
    times[key] = time.monotonic() - started
    return out


def run_bench_class(args):
    from autograder.stages.autograde import autograde
    from autograder.stages.build import build
    from autograder.stages.collect import collect
    from autograder.course import Course
    from autograder.stages.export import export, rows
    from autograder.stages.summary import plot, render

    tmp = Path(args.course) if args.course else Path(tempfile.mkdtemp(prefix="autograder-class-"))
    try:
        course = Course(tmp / "course", args.notebooks, cell_timeout=args.cell_timeout,
                        notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb)
        names = course.assignments()
        build(course, names)
        n, half = args.students, args.students // 2
        print(f"class: {n} students x {len(names)} notebooks = {n * len(names)} submissions, "
              f"graded with {args.workers} workers (this machine: {os.cpu_count()} CPUs), "
              f"in two halves ...", flush=True)
        phases = []
        for label, first, last in (("first half", 0, half), ("whole class", half, n)):
            inbox = tmp / f"inbox-{first}"
            _write_students(course, names, first, last, inbox)
            times = {}
            _timed(collect, times, "collect", course, inbox)
            results = _timed(autograde, times, "autograde", course, workers=args.workers,
                             progress=False)
            _timed(export, times, "export", course)
            table = _timed(rows, times, "rows", course)
            _timed(lambda: (render(table), plot(table, course.root / "reports" / "summary.png")),
                   times, "summary")
            phases.append((label, len(results), len(table), times, _peak_mb()))
            print(f"  {label}: {len(results)} graded in {times['autograde']:.1f} s", flush=True)
            shutil.rmtree(inbox, ignore_errors=True)
        _report(phases, n * len(names))
    finally:
        if not args.course:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _report(phases, total):
    print(f"\n{'':14s} {'graded':>7s} {'in the':>7s} {'collect':>8s} {'autograde':>10s} "
          f"{'nb/min':>7s} {'export':>7s} {'summary':>8s} {'client peak':>12s}")
    print(f"{'':14s} {'now':>7s} {'gradebook':>7s} {'(s)':>8s} {'(s)':>10s} {'':>7s} {'(s)':>7s} "
          f"{'(s)':>8s} {'RSS (MB)':>12s}")
    for label, graded, present, times, peak in phases:
        print(f"{label:14s} {graded:7d} {present:7d} {times['collect']:8.1f} "
              f"{times['autograde']:10.1f} {60 * graded / times['autograde']:7.1f} "
              f"{times['export']:7.2f} {times['summary'] + times['rows']:8.2f} {peak:12.0f}")
    (_, g1, p1, t1, _), (_, g2, p2, t2, _) = phases
    wall = t1["autograde"] + t2["autograde"]
    print(f"\nthe class: {total} notebooks autograded in {wall / 60:.1f} min "
          f"({60 * (g1 + g2) / wall:.1f} notebooks/min)")
    print(f"second half / first half, per notebook graded: "
          f"{(t2['autograde'] / g2) / (t1['autograde'] / g1):.2f}x   (~1: no per-result rescans)")
    print(f"export, whole class / half: {t2['export'] / t1['export']:.2f}x; "
          f"summary: {(t2['summary'] + t2['rows']) / (t1['summary'] + t1['rows']):.2f}x   "
          f"(for {p2 / p1:.1f}x the rows: ~{p2 / p1:.0f}x is linear)")
