"""Grade ONE submission in this process: ``python -m autograder.worker JOB.json``.

The engine (autograder.engines) prepares a private job folder (autograder.engines.base) so that jobs
never share files or a database: they can run in parallel processes and on other machines.  This
trusted job process runs real nbgrader ``Autograde`` on it with our preprocessors
(autograder.worker.preprocessors), reaches the verdict (autograder.worker.verdict) and writes
``result.json`` (autograder.jobs.Result); the instructor's process copies the grades into the
course's gradebook (one writer, no locking).

The student's kernel runs in a bubblewrap sandbox (autograder.sandbox) with its own limits --
forked by the grading slot's zygote when the job names one (autograder.sandbox.warm), else started
cold -- and talks to this process only through its socket files.  This process bounds its own
address space too, so that a flood of output from the kernel costs this job, never the machine.
``"sandbox": false`` in the job (``--no-sandbox``) runs the kernel as a plain child of this process
instead, inheriting its limits: for debugging only.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback

import nbformat

# Imported here (not in run) so that a forkserver preloading this module pays for them once.
from nbgrader.api import Gradebook, MissingEntry  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.converters.base import NbGraderException  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
import nbclient  # noqa: E402,F401
import jupyter_client  # noqa: E402,F401

from autograder.jobs import RESULT_FILE, Grade, Job, Result  # noqa: E402
from autograder.nbgrader_config import make_config  # noqa: E402
from autograder.nbgrader_setup import setup as _setup  # noqa: E402
from autograder.worker import preprocessors as _preprocessors  # noqa: E402,F401
from autograder.worker.verdict import classify, describe, grades_from_source  # noqa: E402


def _warm_caches():
    """What every job would build again in its own process: built once here, so that a forkserver
    preloading this module hands it to each job (the kernel's launch with IPython, which finding
    the python3 kernel imports; nbformat's compiled notebook schema; SQLAlchemy's configured
    gradebook mappers; nbgrader's patched validators)."""
    import IPython.paths  # noqa: F401 -- jupyter_client finds the python3 kernel with these
    import ipykernel.kernelspec  # noqa: F401
    import nbformat.validator
    from sqlalchemy.orm import configure_mappers

    import autograder.sandbox.provisioner  # noqa: F401 -- the kernel's launch
    import autograder.sandbox.warm  # noqa: F401
    nbformat.validator.get_validator()
    configure_mappers()
    _setup()


_warm_caches()


def _limit_memory(megabytes):
    if megabytes:
        limit = int(megabytes) * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _sandbox_for(job, work):
    """The kernel's sandbox backend: a copy of the submission's own files, the job's limits; forked
    from the slot's zygote when the engine gave one (autograder.sandbox.warm), else started cold."""
    from autograder.sandbox import Sandbox
    from autograder.sandbox.warm import WarmSandbox
    submitted = os.path.join(work, "submitted", job.student, job.assignment)
    files = sorted(os.path.join(submitted, name) for name in os.listdir(submitted)
                   if os.path.isfile(os.path.join(submitted, name))
                   and not os.path.islink(os.path.join(submitted, name)))
    if job.extra.get("zygote"):
        return WarmSandbox(job.extra["zygote"], files=files, limits=job.limits())
    return Sandbox(files=files, limits=job.limits())


def run(job: Job) -> Result:
    """Autograde the submission described by ``job``; return its result."""
    work = job.workdir
    student, assignment = job.student, job.assignment
    os.environ.update({
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg",
    })
    _limit_memory(job.memory_mb)
    started = time.monotonic()
    time.sleep(float(job.extra.get("debug_sleep", 0)))      # tests: simulate a worker that hangs

    _setup()
    cfg = make_config(work, cell_timeout=job.cell_timeout, notebook_timeout=job.notebook_timeout,
                      memory_mb=job.memory_mb or 0, checked=job.checked)
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    log = logging.getLogger("autograder.worker")
    error = None
    box = ipc_dir = None
    if job.sandbox:
        from autograder.sandbox import SandboxUnavailable
        from autograder.sandbox.provisioner import sandboxed_preprocessors
        try:
            box = _sandbox_for(job, work).open()
            stages = cfg.Autograde.autograde_preprocessors if "autograde_preprocessors" in \
                cfg.Autograde else Autograde.class_traits()["autograde_preprocessors"].default()
            cfg.Autograde.autograde_preprocessors = sandboxed_preprocessors(stages, box)
        except (SandboxUnavailable, OSError) as exc:
            error = f"the sandbox could not start: {exc}"
    else:
        # Kernel sockets as files in a private folder: TCP ports picked by several kernels
        # starting at once can collide ("Address already in use") and kill a kernel.
        ipc_dir = tempfile.mkdtemp(prefix="agk-")
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = os.path.join(ipc_dir, "k")
    try:
        if error is None:
            converter = Autograde(coursedir=CourseDirectory(config=cfg), config=cfg, log=log)
            converter.start()
    except NbGraderException as exc:
        error = f"nbgrader could not grade this submission: {exc}"
    except Exception:                          # report, never crash the batch
        error = "nbgrader failed: " + traceback.format_exc(limit=3).strip().splitlines()[-1]
    finally:
        if box is not None:
            box.close()
        if ipc_dir is not None:
            shutil.rmtree(ipc_dir, ignore_errors=True)
    result = Result(student=student, assignment=assignment, timestamp=job.timestamp,
                    status="error", sandboxed=job.sandbox)
    path = os.path.join(work, "autograded", student, assignment, assignment + ".ipynb")
    if os.path.exists(path) and error is None:
        graded = nbformat.read(path, as_version=4)
        if job.checked:
            # scores computed here from the source notebook and the checker's verdicts, never
            # taken from anything the kernel could have written
            source = nbformat.read(os.path.join(work, "source", assignment, assignment + ".ipynb"),
                                   as_version=4)
            result.grades = grades_from_source(source, graded)
        else:                  # nbgrader's stock pipeline (the bench's baseline): its own grades
            with Gradebook(cfg.CourseDirectory.db_url) as gb:
                try:
                    submitted = gb.find_submission_notebook(assignment, assignment, student)
                    for grade in submitted.grades:
                        result.grades[grade.name] = Grade(
                            auto_score=grade.auto_score, max_score=grade.max_score,
                            needs_manual_grade=bool(grade.needs_manual_grade))
                except MissingEntry:
                    error = "the gradebook has no grades for this submission"
        result.autograded = path
        describe(graded, result)
    result.status, result.reason = classify(result, job, error)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def write_result(result, workdir):
    """``result.json`` in the job folder, written whole or not at all."""
    out = os.path.join(workdir, RESULT_FILE)
    with open(out + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(result.to_dict(), handle, indent=1)
    os.replace(out + ".tmp", out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        job = Job.from_spec(json.load(handle))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    write_result(run(job), job.workdir)
    return 0
