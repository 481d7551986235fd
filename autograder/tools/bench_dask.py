"""``python -m autograder bench --dask``: two local worker processes vs a local two-worker Dask cluster.

The same class (N synthetic submissions of one notebook) is graded, in one run, by the default
engine (:class:`autograder.grader.LocalProcessGrader`, 2 workers) and by :class:`DaskGrader` on a
Dask ``LocalCluster`` of 2 worker processes with 1 thread each, started before the clock starts
(its start-up is printed apart: a ``--cluster`` runs on a cluster that is already up).  Rounds
alternate the two so that a busy machine slows both alike; the medians are compared.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

def local_cluster(workers=2):
    """A LocalCluster as ``dask worker`` would start it for grading: processes, 1 thread each,
    non-daemonic (jobs forked from a preloaded forkserver), no memory manager, no dashboard."""
    import dask
    from distributed import LocalCluster
    with dask.config.set({"distributed.worker.daemon": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, memory_limit=0)


def run_bench_dask(args, rounds=3):
    from autograder.autograde import autograde
    from autograder.cluster import DaskGrader
    from autograder.grader import LocalProcessGrader
    from autograder.tools.bench import class_course     # the same synthetic class as `bench`

    tmp = Path(args.course) if args.course else Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    cluster = None
    try:
        course, assignment = class_course(args, tmp)

        started = time.monotonic()
        cluster = local_cluster(2)
        startup = time.monotonic() - started
        engines = {"ours, 2 local worker processes": lambda: LocalProcessGrader(2),
                   "ours, local 2-worker Dask cluster": lambda: DaskGrader(cluster.scheduler_address)}
        print(f"grading {args.students} submissions of {assignment}, {rounds} rounds per engine, "
              f"alternating (Dask LocalCluster start-up: {startup:.1f} s, not counted) ...",
              flush=True)
        seconds = {name: [] for name in engines}
        grades = {}
        for _ in range(rounds):
            for name, make in engines.items():
                started = time.monotonic()
                results = autograde(course, force=True, progress=False, grader=make())
                seconds[name].append(time.monotonic() - started)
                grades[name] = {(r["student"], r["status"], r["score"]) for r in results}
        n = args.students
        print(f"\n{'':36s} {'class (wall s,':>15s} {'s/notebook':>11s}")
        print(f"{'':36s} {'median)':>15s} {'(wall/N)':>11s}")
        for name, values in seconds.items():
            median = statistics.median(values)
            print(f"{name:36s} {median:15.1f} {median / n:11.2f}")
        local, dask = (statistics.median(v) for v in seconds.values())
        print(f"\nDask / local (class wall time): {dask / local:.2f}x"
              f"   (same grades from both: {'yes' if len(set(map(frozenset, grades.values()))) == 1 else 'NO'})")
    finally:
        if cluster is not None:
            cluster.close()
        if not args.course:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
