"""Where submissions are graded: a ``Grader`` runs jobs and hands back results.

A job is a self-contained folder (source notebook, submission, gradebook snapshot, job.json) and a
result is ``result.json`` plus the autograded notebook in that folder, so a grader only has to
"run ``python -m autograder.worker job.json`` somewhere and bring the folder back".
``LocalProcessGrader`` does it in local processes, ``workers`` at a time; a grader for other
machines (ssh/rsync, a batch queue) implements the same ``grade`` method.  Either way the student's
kernel runs in the sandbox the worker sets up (autograder.sandbox), unless a job says otherwise.  Results are passed to ``on_result`` in the calling
thread, one at a time, so the caller is the only writer of the course gradebook.
"""

from __future__ import annotations

import abc
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

# Time for the worker to start Python and a kernel, on top of the notebook's own budget.
STARTUP_SLACK = 45


@dataclass
class Job:
    """One submission to grade; ``workdir`` holds everything the worker needs."""
    student: str
    assignment: str
    workdir: str
    timestamp: str | None = None
    cell_timeout: int = 30
    notebook_timeout: int = 240
    memory_mb: int = 2048
    guard: bool = True
    sandbox: bool = True          # the kernel in a bubblewrap sandbox (autograder.sandbox)
    extra: dict = field(default_factory=dict)

    def spec(self):
        return {"student": self.student, "assignment": self.assignment, "workdir": self.workdir,
                "timestamp": self.timestamp, "cell_timeout": self.cell_timeout,
                "notebook_timeout": self.notebook_timeout, "memory_mb": self.memory_mb,
                "guard": self.guard, "sandbox": self.sandbox, "notebook": self.assignment,
                **self.extra}


class Grader(abc.ABC):
    """Runs jobs; calls ``on_result(job, result)`` in the caller's thread for each."""

    @abc.abstractmethod
    def grade(self, jobs, on_result, progress=None):
        ...


class LocalProcessGrader(Grader):
    """Each job in its own process (and process group), ``workers`` at a time, hard-bounded.

    Worker processes are forked from a multiprocessing *forkserver* that has already imported
    nbgrader, so a job does not pay ~3 s of imports; each child is still a fresh, isolated
    process (its own session, memory limit and kernel).  ``preload=False`` starts every worker
    with ``python -m autograder.worker`` instead.
    """

    _context = None

    def __init__(self, workers=1, preload=True):
        self.workers = max(1, int(workers))
        self.preload = preload
        self._live = set()          # process groups of running workers
        self._cancelled = False

    @classmethod
    def _forkserver(cls):
        if cls._context is None:
            import multiprocessing
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["autograder.worker"])
            cls._context = context
        return cls._context

    def _start(self, spec_path, log_path, workdir):
        """(pid, wait(timeout) -> exit code or raises TimeoutError)."""
        if self.preload:
            process = self._forkserver().Process(target=_forked_worker,
                                                 args=(spec_path, log_path, workdir), daemon=False)
            process.start()

            def wait(timeout):
                process.join(timeout)
                if process.exitcode is None:
                    raise TimeoutError
                return process.exitcode
            return process.pid, wait, process
        log = open(log_path, "w", encoding="utf-8")
        process = subprocess.Popen([sys.executable, "-m", "autograder.worker", spec_path],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, cwd=workdir)
        log.close()

        def wait(timeout):
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise TimeoutError from None
        return process.pid, wait, process

    def _run_one(self, job: Job) -> dict:
        spec_path = os.path.join(job.workdir, "job.json")
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(job.spec(), handle, indent=1)
        log_path = os.path.join(job.workdir, "worker.log")
        bound = job.notebook_timeout + STARTUP_SLACK
        if self._cancelled:
            raise KeyboardInterrupt
        pid, wait, process = self._start(spec_path, log_path, job.workdir)
        self._live.add(pid)
        killed, code = False, None
        try:
            code = wait(bound)
        except TimeoutError:
            killed = True
        finally:
            try:   # the worker's whole session: also its kernel and anything student code started
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if killed:
                try:
                    wait(10)
                except TimeoutError:
                    pass
            self._live.discard(pid)
        result_path = os.path.join(job.workdir, "result.json")
        if not killed and os.path.exists(result_path):
            with open(result_path, encoding="utf-8") as handle:
                return json.load(handle)
        base = {"student": job.student, "assignment": job.assignment, "timestamp": job.timestamp,
                "grades": {}, "failures": [], "tampering": [], "score": None, "max_score": None,
                "sandboxed": job.sandbox}
        if killed:
            return {**base, "status": "killed",
                    "reason": f"grading did not finish within {bound} s (notebook budget "
                              f"{job.notebook_timeout} s + start-up); the worker was killed"}
        tail = _tail(log_path)
        return {**base, "status": "error",
                "reason": f"the grading worker died (exit code {code}){': ' + tail if tail else ''}"}

    def grade(self, jobs, on_result, progress=None):
        jobs = list(jobs)
        self._cancelled = False
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            futures = {pool.submit(self._run_one, job): job for job in jobs}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:          # a bug here must not stop the batch
                    result = {"student": job.student, "assignment": job.assignment,
                              "timestamp": job.timestamp, "grades": {}, "failures": [],
                              "tampering": [], "score": None, "max_score": None,
                              "sandboxed": job.sandbox,
                              "status": "error", "reason": f"grader error: {exc!r}"}
                on_result(job, result)
                if progress is not None:
                    progress.update(1)
        except BaseException:
            # Ctrl-C (or a failure while recording): stop everything we started, then re-raise
            self._cancelled = True
            for future in futures:
                future.cancel()
            for pid in list(self._live):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _forked_worker(spec_path, log_path, workdir):
    """Body of a forked worker: own session (killable as a group), output to the log."""
    os.setsid()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(workdir)
    from autograder import worker
    code = 1
    try:
        code = worker.main([spec_path])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _tail(path, lines=2):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = [line.strip() for line in handle if line.strip()]
    except OSError:
        return ""
    return " | ".join(text[-lines:])[:300]
