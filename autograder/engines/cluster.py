"""Grading on a Dask cluster: ``autograde --cluster tcp://HOST:8786``.

A job travels to a Dask worker as DATA -- its settings, the submission's files, and (sent once per
assignment, shared by its jobs) the source notebook and the assignment's gradebook snapshot
(autograder.gradebook.snapshot: definitions only, no student's grade) -- and the result comes back
as data: statuses, scores, reasons, the graded notebook's bytes.  Workers need no shared filesystem
and never see the course folder or its database; the client (this process) stays the only writer of
the gradebook and checks every result against the source notebook before it records it.

On the worker the job runs exactly as a local one does: its folder is recreated from the data in a
private temporary folder, graded by :class:`autograder.engines.local.LocalProcessGrader` in its own
bounded process with the student's kernel in the sandbox, and removed (autograder.engines.cluster_task).

Failures.  Nothing is ever recorded for a job that did not come back graded by a worker: a job
that is not finished when the client stops has no result, and the next ``autograde`` grades it.
Where the client cannot go on it raises :class:`autograder.engines.base.EngineStopped`, one line
for the user, after closing its Dask client (its cancelled futures and threads with it):
- the scheduler cannot be reached at the start (``connect_timeout``, 30 s): nothing is graded;
- the scheduler dies mid-batch (killed, its machine lost): Dask cancels every future of the
  client at once ("scheduler-connection-lost"); the client stops with "lost the connection to the
  Dask scheduler at ..."; the results recorded so far stay.  A new scheduler means a new run;
- the cluster has no worker at all -- every worker (and nanny) gone mid-batch, or none from the
  start: the jobs wait on the scheduler; after ``worker_wait`` s (120 by default) without a single
  worker the client cancels them and stops with "no Dask workers were available at ... for N s";
  a worker that comes back in time resets that clock;
- a worker that dies mid-job (machine lost, process killed) has its job re-run on another worker
  (Dask's own machinery, see distributed's ``allowed-failures``); each submission still gets
  exactly one result (one future per submission);
- a job whose worker dies every time it runs is given up after ``allowed-failures`` deaths
  (``KilledWorker``).  Dask blames every job the dying worker held, so each blamed job runs once
  more, alone on the cluster; the one that kills its worker again is recorded as an error with
  that reason, the innocent ones are graded;
- Ctrl-C cancels what is left; the results already recorded stay, and the next ``autograde``
  grades only the submissions without one;
- the client itself killed (SIGKILL, its machine lost): the scheduler forgets its futures (jobs
  already running finish on their workers, unread); the results it recorded stay, and the next
  ``autograde`` grades the submissions without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import threading
import time
import uuid
from concurrent.futures import CancelledError
from pathlib import Path

import nbformat

from autograder.engines.base import EngineStopped, Grader
from autograder.engines.cluster_task import grade_payload, same
from autograder.jobs import JOB_FILE, LOG_FILE, RESULT_FILE, Result, Status
from autograder.nbgrader_setup import ALEMBIC_ENV

# Files of a job folder that are the same for every job of an assignment (sent once per batch).
_SHARED = ("source", "gradebook.db")


# ---------------------------------------------------------------------------------------- client
class DaskGrader(Grader):
    """Sends every job to the Dask scheduler at ``address``; records results as they arrive.

    ``retries``: how often a task that *raised* (e.g. a worker's disk was full) is run again;
    a worker that *dies* is Dask's ``allowed-failures`` (a scheduler setting), not this.
    ``connect_timeout``: seconds to reach the scheduler (also Dask's reconnect window).
    ``worker_wait``: seconds the client waits while the cluster has no worker at all before it
    stops (:class:`EngineStopped`).
    """

    POLL = 0.1            # s between looks at finished futures while none is ready
    LOOK = 1.0            # s between asking the scheduler how many workers it has

    def __init__(self, address, retries=1, connect_timeout=30, worker_wait=120):
        self.address = address
        self.retries = int(retries)
        self.connect_timeout = connect_timeout
        self.worker_wait = float(worker_wait)

    def grade(self, jobs, on_result, progress=None):
        from distributed import Client

        jobs = list(jobs)
        if not jobs:
            return
        try:
            client = Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise EngineStopped(f"cannot reach the Dask scheduler at {self.address}: "
                                f"{_one_line(exc)}; nothing was graded") from None
        futures, recorded, suspects = {}, set(), []
        watch = _Watch(self, client, jobs, recorded)

        def record(job, result):
            if (job.student, job.assignment) in recorded:       # never twice
                return
            recorded.add((job.student, job.assignment))
            with _interrupts_deferred():     # a Ctrl-C waits until this result is recorded
                on_result(job, result)
            if progress is not None:
                progress.update(1)

        try:
            shared, payloads = {}, {}
            for job in jobs:
                common, own = pack(job)
                digest = _digest(common)
                if digest not in shared:
                    # once per assignment, not once per student; a task rather than scattered
                    # data, so that Dask can make it again if the worker holding it dies
                    shared[digest] = client.submit(same, common, key=f"job-files-{digest[:16]}",
                                                   pure=False, retries=self.retries)
                payloads[id(job)] = (own, shared[digest])
                futures[self._submit(client, job, payloads[id(job)])] = job
            for future in watch.as_completed(list(futures)):
                job = futures[future]
                if _killed_worker(future):
                    # Dask blames every job a dying worker had, not only the one that killed it
                    suspects.append(job)
                    continue
                record(job, self._collect(job, future, watch))
            # ... so each blamed job runs again ALONE: only the one that kills workers fails again
            for job in suspects:
                future = self._submit(client, job, payloads[id(job)])
                futures[future] = job
                for _ in watch.as_completed([future]):
                    record(job, self._collect(job, future, watch, alone=True))
        except BaseException:
            watch.cancel(list(futures))
            raise
        finally:
            watch.close()

    def _submit(self, client, job, payload):
        key = f"autograde-{job.student}-{job.assignment}-{uuid.uuid4().hex[:8]}"
        return client.submit(grade_payload, *payload, key=key, pure=False, retries=self.retries)

    def _collect(self, job, future, watch, alone=False):
        from distributed import KilledWorker

        try:
            data = watch.result(future)
        except KilledWorker as exc:
            last = getattr(getattr(exc, "last_worker", None), "address", "unknown")
            return failed(job, f"KilledWorker: the Dask worker running this grading job died "
                               f"every time it ran{', alone on the cluster,' if alone else ''} "
                               f"{exc.allowed_failures + 1} times in a row (the last: {last}); "
                               f"not retried again (distributed.scheduler.allowed-failures = "
                               f"{exc.allowed_failures})")
        except EngineStopped:
            raise
        except Exception as exc:              # one job's failure never stops the batch ...
            if future.status != "error":      # ... but this is not the job's: the cluster's
                watch.lost(future, exc)
            return failed(job, f"grading failed on the cluster: {type(exc).__name__}: {exc}")
        return accept(job, data)


class _Watch:
    """The client's view of the cluster during one batch: waits for futures, but never unbounded.

    It raises :class:`EngineStopped` when the connection to the scheduler is lost (Dask then
    cancels every future of the client: they are NOT results, nothing is recorded for them) and
    when the cluster has had no worker for ``worker_wait`` s.
    """

    def __init__(self, grader, client, jobs, recorded):
        self.grader, self.client = grader, client
        self.address, self.total, self.recorded = grader.address, len(jobs), recorded
        self._idle_since = None           # monotonic time since which no worker was seen
        self._looked = float("-inf")

    # -- waiting
    def as_completed(self, futures):
        """Yield ``futures`` as they finish (erred ones too); a cancelled one stops the batch."""
        from distributed import as_completed

        finished = as_completed(futures, loop=self.client.loop)
        while not finished.is_empty():
            batch = finished.next_batch(block=False)
            if not batch:
                self.check()
                time.sleep(self.grader.POLL)
                continue
            for future in batch:
                if future.cancelled():        # not by us: Dask lost it, or lost us
                    self.lost(future)
                yield future

    def result(self, future):
        """``future.result()``, but bounded: its data may be lost with a dying worker and have to
        be computed again, which needs a worker.

        One fetch runs on the client's loop and is waited for in short looks; it is never
        cancelled (a cancelled ``Client._gather`` leaves its inner waits behind, to die with an
        exception nobody retrieves): when the batch stops, closing the client ends it.
        """
        if future.status == "error":          # the task's exception, no fetch
            return future.result()
        fetch = asyncio.run_coroutine_threadsafe(
            self.client.gather(future, asynchronous=True), self.client.loop.asyncio_loop)
        while True:
            try:
                return fetch.result(timeout=self.grader.LOOK)
            except TimeoutError:
                self.check()

    def check(self):
        """Raise EngineStopped if the scheduler is gone or no worker came for ``worker_wait`` s."""
        if self.client.status != "running":
            self.stop(f"lost the connection to the Dask scheduler at {self.address}")
        now = time.monotonic()
        if now - self._looked < self.grader.LOOK:
            return
        self._looked = now
        try:
            workers = self.client.nthreads(callback_timeout=max(5.0, self.grader.LOOK))
        except (OSError, TimeoutError):
            if self.client.status != "running":
                self.stop(f"lost the connection to the Dask scheduler at {self.address}")
            workers = {}                  # no answer: no worker we can count on
        if workers:
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = now
        elif now - self._idle_since >= self.grader.worker_wait:
            self.stop(f"no Dask workers were available at {self.address} for "
                      f"{self.grader.worker_wait:g} s")

    def lost(self, future, exc=None):
        """Stop: ``future`` was cancelled by Dask (not by this client), or its result could not be
        fetched (``exc``, not the job's own failure)."""
        if exc is None:
            try:
                future.result(timeout=5)
            except BaseException as caught:     # noqa: BLE001 (its reason is all we want)
                exc = caught
        reason = getattr(exc, "reason", None)
        if (future.cancelled() and reason not in (None, "scheduler-connection-lost")
                and self.client.status == "running"):
            self.stop(f"the Dask scheduler at {self.address} cancelled the grading jobs "
                      f"(reason: {_one_line(reason)})")
        detail = "" if isinstance(exc, CancelledError) else f" ({type(exc).__name__})"
        self.stop(f"lost the connection to the Dask scheduler at {self.address}{detail}")

    def stop(self, why):
        done = len(self.recorded)
        left = self.total - done
        if not done:
            raise EngineStopped(f"{why}; stopped before any result was recorded (the next "
                                f"autograde grades all {self.total})")
        raise EngineStopped(f"{why}; stopped: the {done} of {self.total} results recorded stay "
                            f"(the next autograde grades the other {left})")

    # -- ending
    def cancel(self, futures):
        """Forget ``futures`` on the cluster (only a live scheduler can be told)."""
        if self.client.status == "running":
            with contextlib.suppress(Exception):
                self.client.cancel(futures, force=True)    # a message, no round trip

    def close(self):
        """Close the client; after a lost scheduler, without the errors Dask logs when its
        reconnect attempt is stopped (_DropCancelled)."""
        quiet = _DropCancelled()
        loggers = [logging.getLogger(n) for n in ("distributed.client", "distributed.utils")]
        for logger in loggers:
            logger.addFilter(quiet)
        try:
            with contextlib.suppress(Exception):
                self.client.close(timeout=max(10, self.grader.connect_timeout))
        finally:
            for logger in loggers:
                logger.removeFilter(quiet)


class _DropCancelled(logging.Filter):
    """What Dask logs when a client is closed while it tries to reconnect to a lost scheduler:
    the cancelled attempt's traceback, or (closed between two attempts) "Failed to reconnect to
    scheduler after <its timeout, not the time it tried> seconds"."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, asyncio.CancelledError)
                    or str(record.msg).startswith("Failed to reconnect to scheduler"))


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _killed_worker(future):
    from distributed import KilledWorker
    return future.status == "error" and isinstance(future.exception(), KilledWorker)


def failed(job, reason):
    """An error result for ``job``: no score (never a silent 0), a reason."""
    return Result.failed(job, Status.ERROR, reason)


def pack(job):
    """``(shared, own)``: the job folder as data.

    ``shared`` holds the files every job of the assignment has (source notebook, gradebook
    snapshot), ``own`` the job's settings and its submission's files.
    """
    root = Path(job.workdir)
    shared, files = {}, {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        if relative in (JOB_FILE, RESULT_FILE, LOG_FILE):
            continue
        target = shared if relative.split("/", 1)[0] in _SHARED else files
        target[relative] = path.read_bytes()
    spec = job.spec()
    spec.pop("workdir")
    return shared, {"spec": spec, "files": files, "alembic_head": os.environ.get(ALEMBIC_ENV)}


def _digest(files):
    hasher = hashlib.sha256()
    for name in sorted(files):
        hasher.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return hasher.hexdigest()


def accept(job, data):
    """The worker's answer checked against what the client knows, or an error result.

    Nothing is taken on trust: the result must read as one and be for this job, every score for a
    graded cell of the SOURCE notebook within its points (the totals are computed here, from the
    grades), and the graded notebook is written into the job's local folder
    (autograder.course.Course.record then checks it reads as a notebook).
    """
    try:
        result, notebook = Result.from_dict(data["result"]), data["notebook"]
        problem = _check(job, result)
    except ValueError as exc:
        problem = str(exc)
    except (KeyError, TypeError, AttributeError) as exc:
        problem = f"malformed answer ({exc!r})"
    if problem:
        return failed(job, f"the cluster's result was rejected: {problem}")
    result.autograded = None
    if notebook is not None:
        path = (Path(job.workdir) / "autograded" / job.student / job.assignment
                / f"{job.assignment}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(notebook)
        result.autograded = str(path)
    return result


def _check(job, result):
    """Why ``result`` cannot be recorded for ``job`` (None if it can)."""
    for key, want in (("student", job.student), ("assignment", job.assignment),
                      ("timestamp", job.timestamp), ("sandboxed", job.sandbox)):
        if getattr(result, key) != want:
            return f"{key} is {getattr(result, key)!r}, the job's is {want!r}"
    points = source_points(Path(job.workdir) / "source" / job.assignment
                           / f"{job.assignment}.ipynb")
    for grade_id, grade in result.grades.items():
        if grade_id not in points:
            return f"a score for {grade_id!r}, which is not a graded cell of the source notebook"
        if grade.max_score != points[grade_id]:
            return f"{grade_id} is worth {points[grade_id]:g} points, not {grade.max_score:g}"
        if grade.auto_score is not None and not 0 <= grade.auto_score <= points[grade_id]:
            return f"{grade_id} scored {grade.auto_score:g} of {points[grade_id]:g} points"
    return None


def source_points(path):
    """{grade_id: points} of the graded cells of the source notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    points = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("task"):
            points[meta["grade_id"]] = float(meta.get("points", 0))
    return points


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold a Ctrl-C, SIGTERM or SIGHUP until the block ends, then deliver it to the handler it
    was meant for: a result is recorded whole."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, lambda signum, _: caught.append(signum))
                for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if caught:
        signal.raise_signal(caught[0])
