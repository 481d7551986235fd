"""Local grading: each job in its own bounded process, ``workers`` at a time, on this machine.

Each job's student kernel runs in the sandbox (autograder.sandbox), unless the job says otherwise:
forked warm by the zygote of the job's grading slot (autograder.sandbox.warm), which the grader
keeps for the slot's jobs.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

from autograder.engines.base import Grader
from autograder.jobs import JOB_FILE, LOG_FILE, RESULT_FILE, Job, Result, Status

LOG = logging.getLogger("autograder")


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
        self.warm = warm            # sandboxed kernels forked from a zygote per slot (autograder.sandbox.warm)
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
            context.set_forkserver_preload(["autograder.worker.job"])
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

    def _run_one(self, job: Job) -> Result:
        slot = self._slots.get()
        try:
            spec = job.spec()
            if job.sandbox and self.warm:
                spec["zygote"] = slot.zygote(job.limits())
            return self._run_in_slot(job, spec)
        finally:
            self._slots.put(slot)

    def _run_in_slot(self, job, spec):
        spec_path = os.path.join(job.workdir, JOB_FILE)
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle, indent=1)
        log_path = os.path.join(job.workdir, LOG_FILE)
        bound = job.bound
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
        result_path = os.path.join(job.workdir, RESULT_FILE)
        if killed:
            return Result.failed(job, Status.KILLED,
                                 f"grading did not finish within {bound} s (notebook budget "
                                 f"{job.notebook_timeout} s + start-up); the worker was killed")
        if os.path.exists(result_path):
            try:
                with open(result_path, encoding="utf-8") as handle:
                    return Result.from_dict(json.load(handle))
            except (OSError, ValueError) as exc:
                return Result.failed(job, Status.ERROR, f"the grading worker's result is unreadable: {exc}")
        tail = _tail(log_path)
        return Result.failed(job, Status.ERROR, f"the grading worker died (exit code {code})"
                                                f"{': ' + tail if tail else ''}")

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
                    result = Result.failed(job, Status.ERROR, f"grader error: {exc!r}")
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
        from autograder.sandbox.warm import Zygote
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


_PR_SET_PDEATHSIG = 1


def _forked_worker(spec_path, log_path, workdir):
    """Body of a forked worker: own session (killable as a group), output to the log.

    It dies with the grader: the forkserver exits when the process that started it dies (a
    SIGKILLed ``autograde``, a lost Dask worker), and PR_SET_PDEATHSIG then kills this process,
    whose sandboxed kernel dies with it (bwrap --die-with-parent).  Without it a job would grade on
    to its end for a grader that is gone."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:           # the forkserver already died before prctl
        os._exit(1)
    os.setsid()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(workdir)
    from autograder.worker import job as worker
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
