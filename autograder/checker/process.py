"""The checker as a process of its own, forked warm from the job process for one submission.

The job process (autograder.worker) forks it before the kernel starts, having imported numpy,
nnlib and nbgrader already, so it costs a fork.  They talk over a socket pair in the wire's framing
(autograder.kernel.wire), both sides trusted:

    worker -> checker   {"op": "test", "grade_id", "path", "timeout"}
    checker -> worker   {"op": "listening"}     its socket for the kernel is at ``path``
                        ... the kernel runs the serve line and connects; the test runs ...
    checker -> worker   {"op": "verdict", "verdict": {...}}
    worker -> checker   {"op": "abort"}         the serve line ended before connecting
                        {"op": "quit"}

A crash of the checker costs its own process only: the worker sees the pair close and reports
it.  The checker's memory is bounded as the job process's is (inherited).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import time

from autograder.kernel import wire

LIMITS = wire.Limits(max_message=64 * 2 ** 20)
# what the checker's socket accepts is bounded by the wire's own limits; this one is for the
# worker's pair, whose messages are small


def start(source_nb, submission_cells, seed, environment=None):
    """Fork the checker for one submission: a :class:`Checker` (the worker's handle on it)."""
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:                                   # the checker
        code = 1
        try:
            parent.close()
            os.environ.update(environment or {})
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = _main(child, source_nb, submission_cells, seed)
        finally:
            os._exit(code)
    child.close()
    return Checker(pid, parent)


class Checker:
    """The worker's side of the checker process."""

    def __init__(self, pid, conn):
        self.pid, self.conn = pid, conn
        self.dead = None

    def _send(self, header):
        try:
            wire.send(self.conn, header)
        except OSError as exc:
            self.dead = self.dead or f"the checker stopped ({exc})"

    def _recv(self, deadline):
        if self.dead:
            return None
        try:
            return wire.recv(self.conn, LIMITS, deadline)[0]
        except wire.WireTimeout:
            return None
        except wire.WireError as exc:
            self.dead = f"the checker stopped ({exc})"
            return None

    def begin(self, grade_id, path, timeout, memory_cgroup=None):
        """Ask for test ``grade_id``; returns once the checker listens at ``path`` (True), or
        False (with ``dead`` saying why) when it cannot.  ``memory_cgroup``: the kernel's, where
        the checker reads the memory a call took (peak_memory) from outside the kernel."""
        self._send({"op": "test", "grade_id": grade_id, "path": path, "timeout": timeout,
                    "memory_cgroup": memory_cgroup})
        reply = self._recv(time.monotonic() + timeout + 30)
        if reply is None or reply.get("op") != "listening":
            self.dead = self.dead or "the checker did not start the test"
            return False
        return True

    def verdict(self, timeout, serve_ended):
        """The test's verdict (a dict), waiting up to ``timeout``; ``serve_ended``: the kernel's
        serve line is over, so if nothing comes at once the checker is told to stop waiting."""
        reply = self._recv(time.monotonic() + (0.5 if serve_ended else timeout))
        if reply is None and serve_ended and not self.dead:
            self._send({"op": "abort"})
            reply = self._recv(time.monotonic() + 30)
        if reply is None or reply.get("op") != "verdict":
            self.dead = self.dead or "the checker gave no verdict"
            return None
        return reply.get("verdict")

    def close(self):
        self._send({"op": "quit"})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.01)
        else:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.conn.close()


# ------------------------------------------------------------------------------------ the child
def _main(conn, source_nb, submission_cells, seed):
    from autograder.checker.session import Session, Verdict
    session = Session(source_nb, submission_cells, seed)
    listener, listening_at = None, None
    while True:
        try:
            header = wire.recv(conn, LIMITS)[0]
        except wire.WireError:
            return 0                      # the worker is gone
        op = header.get("op")
        if op == "quit":
            return 0
        if op != "test":
            continue                      # a late "abort": the test it was for is over
        gid, path, timeout = header["grade_id"], header["path"], float(header["timeout"])
        started = time.monotonic()
        if path != listening_at:
            if listener is not None:
                listener.close()
            listener, listening_at = _listen(path), path
        session.kernel.memory_cgroup = header.get("memory_cgroup")
        problems = session.prepare(gid)
        wire.send(conn, {"op": "listening"})
        kernel = _accept(listener, conn, started + timeout)
        if kernel is None:
            verdict = Verdict(gid, passed=False, ename="KernelLost",
                              evalue="your kernel did not answer the grader for this test (the "
                                     "line that runs in its place failed or never started)",
                              lost="no connection",
                              integrity="the kernel did not answer the grader's checker (the "
                                        "line run in place of a test cell was not the grader's)")
        else:
            try:
                verdict = session.run_test(gid, kernel, max(0.1, started + timeout
                                                            - time.monotonic()))
            finally:
                kernel.close()
        if problems and not verdict.grading_error:
            verdict.grading_error = "; ".join(problems)
        wire.send(conn, {"op": "verdict", "verdict": verdict.to_dict()})


def _listen(path):
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)            # the sandbox's uid connects; only its own sandbox sees it
    listener.listen(1)
    return listener


def _accept(listener, conn, deadline):
    """The kernel's connection, or None when the worker says its serve line ended first."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([listener, conn], [], [], left)
        if listener in ready:
            kernel, _ = listener.accept()
            return kernel
        if conn in ready:
            try:
                header = wire.recv(conn, LIMITS)[0]
            except wire.WireError:
                return None
            if header.get("op") == "abort":
                return None
