"""Grade ONE submission in this process: ``python -m autograder.worker JOB.json``.

The parent (autograder.grader) prepares a private nbgrader course folder for the job (the source
notebook, the submission, a snapshot of the gradebook) so that workers never share files or a
database: they can run in parallel processes, and later on other machines.
The worker runs real nbgrader ``Autograde`` on it (with our preprocessors), then writes
``result.json``: per-cell grades, the status with its reason, the failed tests' messages.  The
parent copies the grades into the course's gradebook (one writer, no locking).

The worker is trusted; the student's kernel is not: it runs in a bubblewrap sandbox
(autograder.sandbox) with its own limits -- forked by the grading slot's zygote when the job names
one (autograder.warm), else started cold -- and talks to the worker only through its ZMQ sockets.
The worker bounds its own address space too, so that a flood of output from the kernel costs
this job, never the machine.  ``"sandbox": false`` in the job (``--no-sandbox``) runs the kernel
as a plain child of the worker instead, inheriting the worker's limits: for debugging only.
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

from autograder import preprocessors as _preprocessors  # noqa: E402,F401
from autograder._nbgrader_setup import setup as _setup  # noqa: E402
from autograder.nbgrader_config import make_config  # noqa: E402


def _warm_caches():
    """What every job would build again in its own process: built once here, so that a forkserver
    preloading this module hands it to each job (the kernel's launch with IPython, which finding
    the python3 kernel imports; nbformat's compiled notebook schema; SQLAlchemy's configured
    gradebook mappers; nbgrader's patched validators)."""
    import IPython.paths  # noqa: F401 -- jupyter_client finds the python3 kernel with these
    import ipykernel.kernelspec  # noqa: F401
    import nbformat.validator
    from sqlalchemy.orm import configure_mappers

    import autograder.warm  # noqa: F401 -- and autograder.sandbox: the kernel's launch
    nbformat.validator.get_validator()
    configure_mappers()
    _setup()


_warm_caches()


def _limit_memory(megabytes):
    if megabytes:
        limit = int(megabytes) * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _sandbox_for(job, work):
    """The kernel's sandbox: a copy of the submission's own files, the job's limits; forked from
    the slot's zygote when the grader gave one (autograder.warm), else started cold."""
    from autograder.grader import job_limits
    from autograder.sandbox import Sandbox
    from autograder.warm import WarmSandbox
    submitted = os.path.join(work, "submitted", job["student"], job["assignment"])
    files = sorted(os.path.join(submitted, name) for name in os.listdir(submitted)
                   if os.path.isfile(os.path.join(submitted, name))
                   and not os.path.islink(os.path.join(submitted, name)))
    if job.get("zygote"):
        return WarmSandbox(job["zygote"], files=files, limits=job_limits(job))
    return Sandbox(files=files, limits=job_limits(job))


def run(job: dict) -> dict:
    """Autograde the submission described by ``job``; return the result dict."""
    work = job["workdir"]
    student, assignment = job["student"], job["assignment"]
    os.environ.update({
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg",
    })
    sandboxed = job.get("sandbox", True)
    _limit_memory(job.get("memory_mb"))
    started = time.monotonic()
    time.sleep(float(job.get("debug_sleep", 0)))      # tests: simulate a worker that hangs

    _setup()
    cfg = make_config(work, cell_timeout=job["cell_timeout"],
                      notebook_timeout=job["notebook_timeout"], memory_mb=job.get("memory_mb", 0),
                      guard=job.get("guard", True))
    cfg.CourseDirectory.assignment_id = assignment
    cfg.CourseDirectory.student_id = student
    log = logging.getLogger("autograder.worker")
    error = None
    box = ipc_dir = None
    if sandboxed:
        from autograder.sandbox import SandboxUnavailable, sandboxed_preprocessors
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
    result = {"student": student, "assignment": assignment, "timestamp": job.get("timestamp"),
              "grades": {}, "failures": [], "tampering": [], "notes": [], "sandboxed": sandboxed}
    notebook = job.get("notebook", assignment)
    path = os.path.join(work, "autograded", student, assignment, notebook + ".ipynb")
    if os.path.exists(path) and error is None:
        graded = nbformat.read(path, as_version=4)
        if job.get("guard", True):
            # scores computed here from the source notebook and the verified cells, never taken
            # from anything the kernel could have written
            source = nbformat.read(os.path.join(work, "source", assignment, notebook + ".ipynb"),
                                   as_version=4)
            result["grades"] = _preprocessors.grades_from_source(source, graded)
        else:                  # nbgrader's stock pipeline (the bench's baseline): its own grades
            with Gradebook(cfg.CourseDirectory.db_url) as gb:
                try:
                    submitted = gb.find_submission_notebook(notebook, assignment, student)
                    for grade in submitted.grades:
                        result["grades"][grade.name] = {
                            "auto_score": grade.auto_score, "max_score": grade.max_score,
                            "needs_manual_grade": bool(grade.needs_manual_grade)}
                except MissingEntry:
                    error = "the gradebook has no grades for this submission"
        result["autograded"] = path
        _describe(graded, result, job)
    result["error"] = error
    status, reason = classify(result, job)
    result.update(status=status, reason=reason, seconds=round(time.monotonic() - started, 2))
    scores = [g["auto_score"] or 0 for g in result["grades"].values()]
    result["score"] = float(sum(scores)) if result["grades"] else None
    result["max_score"] = float(sum(g["max_score"] for g in result["grades"].values())) or None
    return result


def _describe(nb, result, job):
    """Collect what the preprocessors recorded: failed tests' messages, integrity findings, what
    the guard undid (all read from the graded notebook the trusted preprocessors wrote)."""
    meta = nb.metadata.get("autograder", {})
    result["notes"] = dict(meta)
    cells = result.setdefault("cells", {})
    integrity, undone = {}, set()
    for cell in nb.cells:
        info = cell.metadata.get("autograder", {})
        grade = cell.metadata.get("nbgrader", {})
        gid = grade.get("grade_id")
        if gid and (info.get("timed_out") or info.get("memory_error") or info.get("not_run")
                    or info.get("kernel_died") or info.get("restored") or info.get("integrity")):
            cells[gid] = {k: v for k, v in info.items() if k not in ("line_offset", "undone")}
        if gid and info.get("integrity"):
            integrity[gid] = info["integrity"]
        undone.update(info.get("undone", []))
        if not (grade.get("grade") and cell.cell_type == "code"):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                result["failures"].append({"grade_id": gid, "ename": output.ename,
                                           "message": str(output.evalue)[:2000]})
                break
            if output.output_type == "stream" and output.name == "stderr":
                result["failures"].append({"grade_id": gid, "ename": "stderr",
                                           "message": output.text[:2000]})
                break
    result["integrity"] = integrity
    result["tampering"] = sorted(undone)


def _integrity_reason(result):
    """'integrity: ...' for a submission whose tests or cells were interfered with, else None."""
    notes, found = result.get("notes", {}), result.get("integrity") or {}
    parts = []
    if notes.get("reconciled"):
        parts.append("cell metadata changed (restored from the source notebook: "
                     + "; ".join(notes["reconciled"][:10]) + ")")
    by_reason = {}
    for gid, why in found.items():
        by_reason.setdefault(why, []).append(gid)
    for why, gids in by_reason.items():
        parts.append(f"{', '.join(gids)} scored 0: {why}")
    return ("integrity: " + "; ".join(parts)) if parts else None


def classify(result, job):
    """(status, reason): never a bare number -- say why a score is what it is."""
    notes, cells = result.get("notes", {}), result.get("cells", {})
    if result.get("error"):
        return "error", result["error"]
    if notes.get("guard_failed"):
        return "error", f"the grader's guard did not start in the kernel: {notes['guard_failed']}"
    if notes.get("no_metadata"):
        return "manual", ("no nbgrader cell metadata in the submitted notebook (cells copied into "
                          "a fresh notebook?): its answers cannot be matched to the tests, so it "
                          "needs manual grading")
    extra = []
    timed = [gid for gid, c in cells.items() if c.get("timed_out")]
    if timed:
        extra.append(f"timed out after {job['cell_timeout']} s (scored 0): {', '.join(timed)}")
    restored = notes.get("restored")
    if restored:
        extra.append(f"deleted cells restored and graded: {', '.join(restored)}")
    if result.get("tampering"):
        shown = ", ".join(result["tampering"][:6])
        more = len(result["tampering"]) - 6
        extra.append(f"tampering undone before the tests: {shown}"
                     + (f" (+{more} more)" if more > 0 else ""))
    tail = ("; " + "; ".join(extra)) if extra else ""
    integrity = _integrity_reason(result)
    if integrity:               # first: interference is what a reviewer must see
        if notes.get("kernel_died"):
            tail = f"; the kernel died while running {notes['kernel_died']}{tail}"
        return "integrity", integrity + tail
    if notes.get("kernel_died"):
        return "crashed", (f"the kernel died while running {notes['kernel_died']} (os._exit, a "
                           f"crash, or memory beyond {job.get('memory_mb')} MB); the cells after "
                           f"it were not run and score 0{tail}")
    if notes.get("interrupt_ignored"):
        return "timeout", (f"{notes['interrupt_ignored']} timed out and the kernel ignored the "
                           "interrupt (SIGINT): it was stopped, the cells after it were not run "
                           f"and score 0{tail}")
    if notes.get("budget_exceeded"):
        return "timeout", (f"the notebook used up its {job['notebook_timeout']} s budget; cells "
                           f"from {notes['budget_exceeded']} on were not run and score 0{tail}")
    memory = [gid for gid, c in cells.items() if c.get("memory_error")]
    if memory:
        return "memory", (f"MemoryError (limit {job.get('memory_mb')} MB) in {', '.join(memory)}; "
                          f"the rest was graded{tail}")
    manual = [gid for gid, g in result["grades"].items() if g["needs_manual_grade"]]
    if manual:
        return "needs-manual", f"cells that need manual grading: {', '.join(manual)}{tail}"
    return "graded", tail[2:]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    job_path = argv[0]
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(job)
    out = os.path.join(job["workdir"], "result.json")
    with open(out + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
