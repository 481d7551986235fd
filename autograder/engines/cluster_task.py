"""What runs on a Dask worker for ``autograde --cluster``: one job rebuilt from its data, graded by
local grading (autograder.engines.local) in its own bounded process, and sent back as data."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import tempfile
from pathlib import Path

from autograder.engines.local import LocalProcessGrader
from autograder.jobs import Job
from autograder.nbgrader_setup import ALEMBIC_ENV



def same(files):
    """The files a batch shares, as the result of a task (see DaskGrader.grade)."""
    return files


def grade_payload(own, shared):
    """Body of a Dask task (runs on a worker): grade one job from its data, return data."""
    spec = own["spec"]
    if spec.get("debug_exit_worker"):    # tests only: a job that kills the Dask worker running it
        os._exit(70)
    if own.get("alembic_head"):          # saves every job's worker process ~0.5 s
        os.environ.setdefault(ALEMBIC_ENV, own["alembic_head"])
    work = tempfile.mkdtemp(prefix="autograder-job-")
    try:
        for relative, content in {**shared, **own["files"]}.items():
            target = Path(work, relative)
            if target.resolve() != Path(work).resolve() / relative or relative.startswith("/"):
                raise ValueError(f"refusing a job file outside the job folder: {relative!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        job = Job.from_spec(spec, work)
        result = _runner()._run_one(job)
        graded = Path(work) / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
        notebook = graded.read_bytes() if result.autograded and graded.is_file() else None
        result.autograded = None          # a path on this machine: meaningless to the client
        result.worker = socket.gethostname()
        return {"result": result.to_dict(), "notebook": notebook}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _runner():
    """The local grader this Dask worker's tasks use (one per worker process; its zygotes die with
    it, bwrap's --die-with-parent).

    Dask's nanny starts workers as *daemonic* processes by default, and a daemonic process may not
    start multiprocessing children: there each job's worker is a fresh ``python -m
    autograder.worker`` (~3 s of imports more).  Workers started with
    ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` fork their jobs from a preloaded forkserver, like
    local grading does.
    """
    global _RUNNER
    if _RUNNER is None:        # kept: its slots' zygotes serve every job of this Dask worker
        try:
            from distributed import get_worker
            slots = get_worker().state.nthreads
        except (ImportError, ValueError, AttributeError):
            slots = 1
        _RUNNER = (LocalProcessGrader(slots, preload=False)
                   if multiprocessing.current_process().daemon else LocalProcessGrader(slots))
    # (a forked job process dies with this Dask worker: autograder.engines.local._forked_worker)
    return _RUNNER


_RUNNER = None
