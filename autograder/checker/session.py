"""One notebook's graded test cells, run in the trusted checker against the student's kernel.

:class:`Session` keeps the checker's namespace for the notebook: the instructor's statements the
tests need, run from the SOURCE notebook (autograder.checker.plan), every test cell's own names,
and -- for the length of one test cell -- the student's names as they are in the kernel (data
as plain data, the rest as proxies: autograder.checker.connection).  A test cell's source, with
its hidden tests, runs only here; its verdict (passed, or the error and its message) is reached
only here.

What the test cell asks of nnlib.checks that depends on the code itself is answered here too:
``forbid`` (from the nnlib calls the kernel reports and from the names the submitted source
reaches: autograder.checker.source), ``check_loops`` (from the submitted def), ``peak_memory``
(measured in the kernel), ``grading_rng`` (seeded from this grading's secret).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import linecache
import signal
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field

from autograder.checker.connection import Handle, KernelLost, StudentError, Kernel
from autograder.checker.plan import make_plan, python_source
from autograder.checker.source import SourceUnavailable, Submission, resolve


class CheckTimeout(BaseException):
    """The test cell ran past its time in the checker (not an Exception: no test catches it)."""


@dataclass
class Verdict:
    """What one graded test cell came to, as plain data."""
    grade_id: str
    passed: bool
    ename: str = ""
    evalue: str = ""
    traceback: list = field(default_factory=list)
    stdout: str = ""
    timed_out: bool = False          # it ran out of time (the student's code, or the test)
    lost: str = ""                   # why the connection to the kernel ended, if it did
    grading_error: str = ""          # the checker could not run it: not the student's doing
    requests: int = 0                # round trips to the kernel
    seconds: float = 0.0             # time spent in them
    integrity: str = ""              # something aimed at the grader was seen (flagged)

    def to_dict(self):
        return asdict(self)


class Session:
    """The checker's state for one submission of one notebook."""

    def __init__(self, source_nb, submission_cells, seed):
        self.plan = make_plan(source_nb)
        self.submission = Submission(submission_cells)
        self.seed = seed
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.ran, self.failed = set(), {}         # statements run; those that raised: why
        self.kernel = Kernel(before=self._send_rebound, after_call=self._check_call,
                             source_of=self._source_of)
        self.test = None
        self.installed, self.rebound = {}, {}
        self.names_of = {}                        # id(handle) -> the notebook name it was
        self.integrity = []                       # what this test saw aimed at the grader
        self._syncing = False

    # ----------------------------------------------------------------- the instructor's setup
    def prepare(self, grade_id):
        """Run the instructor's statements this test (and every earlier one) needs, in order."""
        problems = []
        for index in self.plan.statements_before(grade_id):
            if index not in self.ran:
                self.ran.add(index)
                statement = self.plan.statements[index]
                try:
                    code = compile(statement.source, f"<instructor cell {statement.cell}>", "exec")
                    with _quiet():
                        exec(code, self.namespace)          # noqa: S102 -- the instructor's code
                except Exception as exc:                      # noqa: BLE001
                    self.failed[index] = f"{type(exc).__name__}: {exc}"
            if index in self.failed and index in self.plan.needs.get(grade_id, ()):
                statement = self.plan.statements[index]
                problems.append(f"cell {statement.cell} ({statement.source.splitlines()[0][:60]}): "
                                f"{self.failed[index]}")
        return problems

    # ----------------------------------------------------------------- one test cell
    def run_test(self, grade_id, sock, timeout):
        """Run test cell ``grade_id`` with the kernel on ``sock`` (connected): its Verdict."""
        started = time.monotonic()
        deadline = started + timeout
        verdict = Verdict(grade_id, passed=False)
        problems = self.prepare(grade_id)
        if problems:
            verdict.grading_error = ("the checker could not run the instructor's code this test "
                                     "needs: " + "; ".join(problems))
            verdict.ename, verdict.evalue = "GradingError", verdict.grading_error
            return verdict
        test = self.plan.tests[grade_id]
        self.test = grade_id
        self.integrity = []
        out = io.StringIO()
        requests, seconds = self.kernel.requests, self.kernel.seconds
        filename = f"<{grade_id}>"
        try:
            source = python_source(test.source)
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            code = compile(source, filename, "exec", dont_inherit=True)
            from nnlib.checks.inputs import seed_grading
            seed_grading(self.seed, grade_id)
            with _deadline(deadline), _quiet(out):
                self.kernel.attach(sock, deadline)
                self._install(sorted(self.plan.kernel_names[grade_id]))
                exec(code, self.namespace)                    # noqa: S102 -- the test's code
            verdict.passed = True
        except CheckTimeout:
            verdict.timed_out = True
            verdict.ename, verdict.evalue = "CellTimeoutError", (
                f"the test did not finish within {timeout:.0f} s")
            verdict.traceback = [f"CellTimeoutError: {verdict.evalue}"]
        except KernelLost as exc:
            verdict.lost = str(exc)
            verdict.timed_out = "in time" in verdict.lost
            if not verdict.timed_out and "stopped" not in verdict.lost \
                    and "too large" not in verdict.lost:
                verdict.integrity = f"the kernel's answers to the grader were not plain data " \
                                    f"({verdict.lost})"
            verdict.ename = "CellTimeoutError" if verdict.timed_out else "KernelLost"
            verdict.evalue = verdict.lost
            verdict.traceback = [f"{verdict.ename}: {verdict.evalue}"]
        except BaseException as exc:                          # noqa: BLE001 -- the test failed
            verdict.ename = type(exc).__name__
            verdict.evalue = str(exc)
            verdict.traceback = _format(exc, filename, source)
        finally:
            self._uninstall()
            self.kernel.end()
            self.test = None
        if self.integrity and not verdict.integrity:
            verdict.integrity = "; ".join(self.integrity)
        verdict.stdout = out.getvalue()[-100_000:]
        verdict.requests = self.kernel.requests - requests
        verdict.seconds = round(self.kernel.seconds - seconds, 4)
        return verdict

    def _install(self, names):
        """The student's names, as the kernel has them, into the namespace."""
        found = self.kernel.lookup(names) if names else []
        for name, (present, value) in zip(names, found):
            if present:
                self.namespace[name] = value
                self.installed[name] = value
                if isinstance(value, Handle):
                    self.names_of[id(value)] = name
            else:
                self.namespace.pop(name, None)

    def _uninstall(self):
        for name in self.installed:
            self.namespace.pop(name, None)
        self.installed.clear()
        self.rebound.clear()
        self.names_of.clear()

    # ----------------------------------------------------------------- the kernel's questions
    def _send_rebound(self, kernel):
        """Before each request: a student name the test rebound (``backward = spy``) is rebound
        in the kernel too, and put back when the test puts it back."""
        if self._syncing or not self.installed:
            return
        self._syncing = True
        try:
            bind, unbind = [], []
            for name, original in self.installed.items():
                current = self.namespace.get(name, original)
                if current is original:
                    if name in self.rebound:
                        unbind.append(name)
                        del self.rebound[name]
                elif self.rebound.get(name, original) is not current:
                    bind.append((name, current))
                    self.rebound[name] = current
            if bind:
                kernel.bind(bind)
            if unbind:
                kernel.unbind(unbind)
        finally:
            self._syncing = False

    def _name_of(self, target):
        """The notebook name whose definition answers for ``target`` (a function, a class, an
        instance of a class the notebook defines), or None."""
        name = self.names_of.get(id(target))
        if name is None and isinstance(target, Handle) and target.kind == "instance":
            name = target._meta.get("type")
        return name

    def _source_of(self, handle):
        name = self._name_of(handle)
        if name is None:
            raise SourceUnavailable("the grader cannot tell which of your definitions this is")
        return self.submission.source(name, self.test)

    def _check_call(self, target, report):
        """After a call: a forbid block in force fails it when the kernel reports a call of a
        forbidden nnlib function, or when the submitted source of the answer names one."""
        from nnlib.checks.forbidden import ForbiddenCall, active
        blocks = active()
        if not blocks:
            return
        for entry in report.get("nnlib_calls", []) if type(report.get("nnlib_calls")) is list \
                else []:
            if type(entry) is not list or len(entry) != 2:
                continue
            function = resolve(entry[0]) if type(entry[0]) is str else None
            of = resolve(entry[1]) if type(entry[1]) is str else None
            for block in blocks:
                message = block.violation(function, of if isinstance(of, type) else None)
                if message and function is not None:
                    raise ForbiddenCall(message)
        name = self._name_of(target)
        if name is None:
            return
        for path in sorted(self.submission.references(name, self.test)):
            obj = resolve(path)
            if obj is None:
                continue
            for block in blocks:
                message = block.named(obj)
                if message:
                    raise ForbiddenCall(message)
        evasive = self.submission.evasions(name, self.test)
        if evasive:
            self.integrity.append(f"{name} builds code the grader cannot read "
                                  f"({', '.join(evasive)}) where nnlib's own functions are not "
                                  f"allowed")
            raise ForbiddenCall(
                f"{name} (or a function it calls) makes code at run time ({', '.join(evasive)}): "
                f"the grader cannot check that it does not use nnlib's own implementation, which "
                f"this exercise does not allow, so it earns no credit and is flagged for review. "
                f"Write it with plain numpy operations.")


@contextlib.contextmanager
def _quiet(out=None):
    """Warnings off (they would be stderr in a kernel); stdout into ``out`` (or nowhere)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(out or io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _deadline(deadline):
    """Raise CheckTimeout in the test's code at ``deadline`` (the checker runs in its main thread)."""
    def expired(signum, frame):
        raise CheckTimeout()
    left = deadline - time.monotonic()
    if left <= 0:
        raise CheckTimeout()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, left)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _format(exc, filename, source):
    """A failed test's traceback as IPython writes one: the test cell's own lines ("Cell In[1],
    line N", which the feedback reads to tell hidden failures apart), then the error; for an
    error of the student's code, the traceback it had in the kernel."""
    lines = source.splitlines()
    out = [f"{type(exc).__name__}{' ' * max(1, 42 - len(type(exc).__name__))}Traceback (most recent "
           "call last)"]
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            text = lines[frame.lineno - 1] if 0 < frame.lineno <= len(lines) else ""
            out.append(f"Cell In[1], line {frame.lineno}\n---> {frame.lineno} {text.strip()}")
    if isinstance(exc, StudentError) and exc.traceback_text:
        out.append("Your code raised it (its traceback in your kernel):\n"
                   + exc.traceback_text.rstrip())
    out.append(f"{type(exc).__name__}: {exc}")
    return out
