"""Where submissions are graded: a ``Grader`` runs jobs and hands back results.

A job is a self-contained folder (source notebook, submission, gradebook snapshot, job.json) and a
result is ``result.json`` plus the autograded notebook in that folder, so a grader only has to
"run ``python -m autograder.worker job.json`` somewhere and bring the folder back".
``LocalProcessGrader`` does it in local processes, ``workers`` at a time; a grader for other
machines (ssh/rsync, a batch queue) implements the same ``grade`` method.  Either way the student's
kernel runs in the sandbox (autograder.sandbox), unless a job says otherwise: forked warm by the
zygote of the job's grading slot (autograder.warm), which the grader keeps for the slot's jobs.
Results are passed to ``on_result`` in the calling thread, one at a time, so the caller is the only
writer of the course gradebook.
"""

from __future__ import annotations

import abc
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

LOG = logging.getLogger("autograder")
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


def job_limits(spec):
    """The sandbox limits of a job (its settings as data)."""
    from autograder.sandbox import Limits
    return Limits(memory_mb=int(spec.get("memory_mb") or 0),
                  cpu_seconds=int(spec["notebook_timeout"]) + 60, **spec.get("sandbox_limits", {}))


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

    def __init__(self, workers=1, preload=True, warm=True):
        self.workers = max(1, int(workers))
        self.preload = preload
        self.warm = warm            # sandboxed kernels forked from a zygote per slot (autograder.warm)
        self._live = set()          # process groups of running workers
        self._cancelled = False
        self._slots = queue.SimpleQueue()     # one zygote (or None) per grading slot
        for _ in range(self.workers):
            self._slots.put(_Slot())

    def close(self):
        """Stop the slots' zygotes (``grade`` does it at its end)."""
        slots = []
        while not self._slots.empty():
            slots.append(self._slots.get())
        for slot in slots:
            slot.close()
            self._slots.put(slot)

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
        slot = self._slots.get()
        try:
            spec = job.spec()
            if job.sandbox and self.warm:
                spec["zygote"] = slot.zygote(job_limits(spec))
            return self._run_in_slot(job, spec)
        finally:
            self._slots.put(slot)

    def _run_in_slot(self, job, spec):
        spec_path = os.path.join(job.workdir, "job.json")
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle, indent=1)
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
            self.close()


_STARTER = None


_STARTER_LOCK = threading.Lock()


def _starter():
    """The one thread that starts zygotes (see _Slot)."""
    global _STARTER
    with _STARTER_LOCK:
        if _STARTER is None:
            from concurrent.futures import ThreadPoolExecutor
            _STARTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zygote-starter")
    return _STARTER


class _Slot:
    """One grading slot's warm kernel factory, started on first use and kept while its jobs' limits
    stay the same; None (cold kernels) where it cannot start.

    Zygotes are started from one thread that lives as long as the process: bwrap's
    --die-with-parent follows the *thread* that started it, and a pool's threads may end (Dask's
    do) while another thread still grades with the zygote.  A zygote found dead is started again.
    """

    def __init__(self):
        self._zygote = self._limits = self._failed = None

    def zygote(self, limits):
        """The address of a running zygote for ``limits``, or None."""
        from autograder.sandbox import SandboxUnavailable
        from autograder.warm import Zygote
        if self._zygote is not None and (self._limits != limits or not self._zygote.alive()):
            self.close()
        if self._zygote is None and self._failed != limits:
            try:
                self._zygote, self._limits = _starter().submit(Zygote(limits).start).result(), limits
            except (SandboxUnavailable, OSError) as exc:
                LOG.warning("warm kernels unavailable, starting each kernel cold: %s", exc)
                self._failed = limits
        return self._zygote.address() if self._zygote is not None else None

    def close(self):
        if self._zygote is not None:
            self._zygote.close()
        self._zygote = self._limits = None


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
