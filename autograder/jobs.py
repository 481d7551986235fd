"""The contract every zone shares: what a grading job is, what bounds it, what comes back.

A :class:`Job` is made in the instructor's process (autograder.stages.autograde), travels as data
(``job.json`` in its folder, or a Dask task's payload) to wherever it runs (autograder.engines),
is graded in a trusted job process (autograder.worker) whose student kernel runs in the sandbox
(autograder.sandbox) under :class:`Limits`, and comes back as a :class:`Result` with a
:class:`Status` and a reason.  Everything here is plain data: no zone needs another's code to read it.
"""

from __future__ import annotations

import dataclasses
import resource
from dataclasses import dataclass, field
from enum import StrEnum

CELL_TIMEOUT = 30          # seconds per cell
NOTEBOOK_TIMEOUT = 240     # seconds for a whole notebook (all cells together)
MEMORY_LIMIT_MB = 2048     # address-space limit of each grading worker and its kernel
STARTUP_SLACK = 45         # seconds for a job process to start Python and a kernel, beyond the budget
# The job folder's own files (the rest: source/, submitted/, gradebook.db, autograded/)
JOB_FILE, RESULT_FILE, LOG_FILE = "job.json", "result.json", "worker.log"


class Status(StrEnum):
    """Why a result's score is what it is (never a bare number)."""
    GRADED = "graded"                # every test ran; the score is the tests' verdicts
    NEEDS_MANUAL = "needs-manual"    # graded, and some cells are for a human to grade
    MANUAL = "manual"                # cannot be graded automatically (no nbgrader metadata)
    INTEGRITY = "integrity"          # the submission interfered with grading; flagged for review
    CRASHED = "crashed"              # the kernel died; the cells after it score 0
    TIMEOUT = "timeout"              # the notebook's budget ran out, or the kernel ignored SIGINT
    MEMORY = "memory"                # a MemoryError in some cell; the rest was graded
    ERROR = "error"                  # grading failed; no score
    KILLED = "killed"                # the job process was killed at its time bound; no score


#: statuses whose score is not a number anyone should trust (exports leave it blank)
NO_SCORE = frozenset({Status.MANUAL, Status.KILLED, Status.ERROR})
#: statuses an instructor should look at (the summary's "needs attention")
FLAGGED = frozenset({Status.MANUAL, Status.KILLED, Status.ERROR, Status.CRASHED, Status.TIMEOUT,
                     Status.MEMORY, Status.NEEDS_MANUAL})


class Outcome:
    """Names of the outcome flags the worker's preprocessors record in a graded notebook's
    ``metadata.autograder`` (of a cell, or of the notebook) and the verdict reads back."""
    # of a cell
    TIMED_OUT = "timed_out"            # seconds it ran before its timeout
    MEMORY_ERROR = "memory_error"
    NOT_RUN = "not_run"                # why it was not run
    KERNEL_DIED = "kernel_died"
    RESTORED = "restored"              # a deleted cell put back from the source
    CHECKED = "checked"                # a test cell the checker ran: {"passed": bool, ...}
    # of the notebook
    BUDGET_EXCEEDED = "budget_exceeded"    # the first cell not run
    INTERRUPT_IGNORED = "interrupt_ignored"
    NO_METADATA = "no_metadata"
    RECONCILED = "reconciled"          # metadata changes undone, one line each
    RESTORED_CELLS = "restored"        # grade ids of deleted cells put back
    CHECKER_FAILED = "checker_failed"  # the trusted checker could not run (why)
    INTEGRITY = "integrity"            # what the checker found the submission doing to grading
    TIMING = "timing"                  # where the time went (the benchmark)
    # recorded by the instructor's process (Course.record)
    SANITIZED = "sanitized"            # what autograder.course.sanitize removed, one line each
    UNGRADABLE = "ungradable"          # the submission itself cannot be graded (why): not retried


@dataclass(frozen=True)
class Limits:
    """Per-kernel bounds (wall-clock bounds are the worker's: per-cell timeout, notebook budget)."""
    memory_mb: int = MEMORY_LIMIT_MB   # cgroup (all processes) and address space (each process)
    processes: int = 64                # processes + threads (pids cgroup, RLIMIT_NPROC)
    cpu_seconds: int = 300             # CPU time of each process (RLIMIT_CPU)
    disk_mb: int = 256                 # working folder and /tmp (tmpfs size), largest file
    open_files: int = 256              # RLIMIT_NOFILE

    def rlimits(self, privileged):
        """[(resource, value)] for the sandboxed process (RLIMIT_NPROC only with a uid of its own)."""
        mb = 2 ** 20
        limits = [(resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_FSIZE, self.disk_mb * mb),
                  (resource.RLIMIT_NOFILE, self.open_files)]
        if self.memory_mb:
            limits.append((resource.RLIMIT_AS, self.memory_mb * mb))
        if privileged:   # counted per uid: only meaningful when the uid is the sandbox's own
            limits.append((resource.RLIMIT_NPROC, self.processes))
        return limits


@dataclass
class Job:
    """One submission to grade; ``workdir`` holds everything the job process needs (its folder:
    ``source/``, ``submitted/``, ``gradebook.db``, ``job.json``; see autograder.engines.base)."""
    student: str
    assignment: str
    workdir: str
    timestamp: str | None = None
    cell_timeout: int = CELL_TIMEOUT
    notebook_timeout: int = NOTEBOOK_TIMEOUT
    memory_mb: int = MEMORY_LIMIT_MB
    checked: bool = True          # False: nbgrader's stock pipeline (the benchmark's baseline)
    sandbox: bool = True          # the kernel in a bubblewrap sandbox (autograder.sandbox)
    digest: str | None = None     # what is graded: the submitted files' digest (course.files)
    extra: dict = field(default_factory=dict)     # engine-specific settings (zygote address, ...)

    def spec(self):
        """The job as plain data (``job.json``)."""
        return {"student": self.student, "assignment": self.assignment, "workdir": self.workdir,
                "timestamp": self.timestamp, "cell_timeout": self.cell_timeout,
                "notebook_timeout": self.notebook_timeout, "memory_mb": self.memory_mb,
                "checked": self.checked, "sandbox": self.sandbox, "notebook": self.assignment,
                "digest": self.digest,
                **self.extra}

    @classmethod
    def from_spec(cls, spec, workdir=None):
        """The job ``spec()`` describes (its folder at ``workdir`` when given)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in spec.items() if k in names}
        extra = {k: v for k, v in spec.items() if k not in names and k != "notebook"}
        if workdir is not None:
            known["workdir"] = str(workdir)
        return cls(extra=extra, **known)

    @property
    def bound(self):
        """Seconds after which the job's process is killed: the budget plus start-up."""
        return self.notebook_timeout + STARTUP_SLACK

    def limits(self):
        """The sandbox's bounds for this job's kernel."""
        return Limits(memory_mb=int(self.memory_mb or 0), cpu_seconds=int(self.notebook_timeout) + 60,
                      **self.extra.get("sandbox_limits", {}))


@dataclass
class Grade:
    """One graded cell's points."""
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool = False


@dataclass
class Result:
    """What grading one submission gave: per-cell grades, a status and the reason for it, the
    failed tests' messages.  Stored as ``results/<student>/<assignment>.json`` (``to_dict``)."""
    student: str
    assignment: str
    timestamp: str | None
    status: Status
    reason: str = ""
    grades: dict = field(default_factory=dict)        # grade_id -> Grade
    failures: list = field(default_factory=list)      # {"grade_id", "ename", "message"}
    sandboxed: bool = True
    notes: dict = field(default_factory=dict)         # the notebook's outcome flags (Outcome)
    cells: dict = field(default_factory=dict)         # grade_id -> that cell's outcome flags
    seconds: float | None = None
    autograded: str | None = None                     # the graded notebook (a path)
    worker: str | None = None                         # the machine that graded it (Dask)
    digest: str | None = None      # the submitted files it graded (set by the instructor's process)
    graded_at: str | None = None   # when it was recorded

    @property
    def score(self):
        return float(sum(g.auto_score or 0 for g in self.grades.values())) if self.grades else None

    @property
    def max_score(self):
        return float(sum(g.max_score for g in self.grades.values())) or None

    @classmethod
    def failed(cls, job, status, reason):
        """A result without a score (never a silent 0) for ``job``: why it has none."""
        return cls(student=job.student, assignment=job.assignment, timestamp=job.timestamp,
                   status=Status(status), reason=reason, sandboxed=job.sandbox)

    def to_dict(self):
        data = dataclasses.asdict(self)
        data["status"] = str(self.status)
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_dict(cls, data):
        """A result read back from its JSON (``to_dict``); unknown keys are ignored, so results
        stored by older versions still read.  Raises ValueError for a result that is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"a result is a JSON object, not {type(data).__name__}")
        if data.get("status") not in set(Status):
            raise ValueError(f"unknown status {data.get('status')!r}")
        try:
            grades = {str(k): Grade(auto_score=None if g.get("auto_score") is None
                                    else float(g["auto_score"]),
                                    max_score=float(g["max_score"]),
                                    needs_manual_grade=bool(g.get("needs_manual_grade")))
                      for k, g in (data.get("grades") or {}).items()}
            return cls(student=str(data["student"]), assignment=str(data["assignment"]),
                       timestamp=data.get("timestamp"), status=Status(data["status"]),
                       reason=str(data.get("reason") or ""), grades=grades,
                       failures=list(data.get("failures") or []),
                       sandboxed=bool(data.get("sandboxed", True)),
                       notes=dict(data.get("notes") or {}), cells=dict(data.get("cells") or {}),
                       seconds=data.get("seconds"), autograded=data.get("autograded"),
                       worker=data.get("worker"), digest=data.get("digest"),
                       graded_at=data.get("graded_at"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a grading result ({exc!r})") from None
