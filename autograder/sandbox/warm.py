"""Warm sandboxed kernels: the trusted side of autograder.zygote.

A :class:`Zygote` is one grading slot's kernel factory: a process in a bubblewrap sandbox (the slot's
uid, the read-only trees, no network) that has imported ipykernel, numpy, matplotlib and nnlib once
and forks a kernel per submission, each in namespaces of its own (see autograder.zygote).  The owner
of the slot (the grader) starts it; a worker, in another process, asks it for a kernel through its
:meth:`Zygote.address` -- plain data -- with a :class:`WarmSandbox`, which jupyter_client's kernel
manager uses like a :class:`autograder.sandbox.Sandbox` (autograder.sandbox.SandboxedKernelManager).

What the worker does for each kernel, outside the sandbox: puts it in cgroups of its own (memory,
pids) before it can fork, hands it the submission's files and its connection file, and holds the
connection whose end ends the kernel.  A kernel costs a fork instead of a Python start and the
imports: measured by ``make bench-grade``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile

from autograder.jobs import Limits
from autograder.sandbox import cgroups
from autograder.sandbox.bwrap import PASSED_ENV, Backend, KernelProcess, Sandbox, SandboxUnavailable
from autograder.sandbox.slots import cgroup_name, zygote_prefix

READY_TIMEOUT = 120       # seconds for the zygote to import everything (a busy machine)


class Zygote:
    """A warm kernel factory in its own sandbox; ``limits`` bound it and every kernel it forks."""

    def __init__(self, limits=Limits()):
        # the zygote serves job after job: no CPU-seconds bound of its own (each kernel gets the
        # job's, set by its keeper)
        self.sandbox = Sandbox(limits=dataclasses.replace(limits, cpu_seconds=resource.RLIM_INFINITY))
        self.process = None
        self._launch = None
        self._dir = None

    def start(self):
        box = self.sandbox
        try:
            box.open()
            # 0700: the worker's only; named by the slot, so that what a SIGKILLed grader left is
            # found again (autograder.sandbox.slots.remove_stale)
            self._dir = tempfile.mkdtemp(prefix=zygote_prefix(box.uid) if box.privileged
                                         else "agzygote-")
            self.socket_path = os.path.join(self._dir, "control")
            # the kernels' socket folders: each one made (and later sealed) by the worker
            self.ipc_root = os.path.join(box.ipc_parent, "ipc")
            os.mkdir(self.ipc_root, 0o711)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(self.socket_path)
            listener.listen(64)
            launch = box.prepare([sys.executable, "-m", "autograder.kernel.zygote"],
                                 writable=[self.ipc_root], nested=True,
                                 keep_fds=[listener.fileno()],
                                 env={"AUTOGRADER_ZYGOTE_FD": str(listener.fileno())})
            self._launch = launch
            self.process = subprocess.Popen(launch.argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            start_new_session=True, **launch.popen_kwargs)
            launch.started()
            listener.close()            # the zygote holds it now
            ready, _, _ = select.select([self.process.stdout], [], [], READY_TIMEOUT)
            line = self.process.stdout.readline() if ready else b""
            if line.strip() != b"ready":
                self.process.kill()
                why = self.process.stderr.read().decode(errors="replace").strip().splitlines()
                raise SandboxUnavailable("the warm kernel factory did not start: "
                                         + (why[-1] if why else "no message"))
            self.process.stderr.close()     # kernels write nothing there (their stdio is /dev/null)
            return self
        except BaseException:
            self.close()
            raise

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def address(self):
        """What a worker needs to ask for a kernel (plain data, for the job's settings)."""
        box = self.sandbox
        return {"socket": self.socket_path, "uid": box.uid, "gid": box.gid,
                "privileged": box.privileged, "ipc_root": self.ipc_root}

    def close(self):
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            for pipe in (self.process.stdout, self.process.stderr):
                if pipe is not None and not pipe.closed:
                    pipe.close()
            self.process = None
        if self._launch is not None:
            self._launch.finish()
            self._launch = None
        self.sandbox.close()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def warm_check():
    """One line for ``sandbox-check``: whether kernels can be forked warm here, and if not why
    (grading then starts each kernel cold, in the same sandbox)."""
    try:
        Zygote().start().close()
    except (SandboxUnavailable, OSError) as exc:
        return f"warm kernels: no, each kernel starts cold ({exc})"
    return ("warm kernels: yes (a zygote per grading slot forks each kernel into namespaces of "
            "its own)")


class WarmSandbox(Backend):
    """A worker's view of a zygote (from :meth:`Zygote.address`): what the kernel manager needs."""

    def __init__(self, address, files=(), limits=Limits()):
        self.address = address
        self.uid, self.gid = address["uid"], address["gid"]
        self.privileged = address["privileged"]
        self.files = [os.path.abspath(f) for f in files]
        self.limits = limits

    # open/close: nothing (the slot's owner started the zygote and will stop it)

    @property
    def ipc_parent(self):           # the zygote's: bound into its sandbox
        return self.address["ipc_root"]

    def launch(self, kernel_cmd, ipc_dir, popen_kwargs):
        """Fork a kernel from the zygote for ``kernel_cmd`` (an ipykernel's command line, as
        jupyter_client made it: its arguments are the forked kernel's; its sockets are in
        ``ipc_dir``, under the zygote's ipc root): a :class:`WarmKernel`.  The zygote makes the
        kernel's environment itself; ``popen_kwargs`` are not used."""
        if "ipykernel_launcher" not in kernel_cmd:
            raise SandboxUnavailable(f"a warm kernel is an ipykernel, not {' '.join(kernel_cmd)}")
        argv = kernel_cmd[kernel_cmd.index("ipykernel_launcher") + 1:]
        contents = []
        for path in self.files:
            with open(path, "rb") as handle:
                contents.append((os.path.basename(path), handle.read()))
        request = {"argv": argv, "ipc_root": self.address["ipc_root"],
                   "files": [(name, len(data)) for name, data in contents],
                   "rlimits": self.limits.rlimits(self.privileged), "disk_mb": self.limits.disk_mb,
                   "env": {k: os.environ[k] for k in PASSED_ENV if k in os.environ}}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        made, pidfd = [], None
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            conn.settimeout(60)
            conn.connect(self.address["socket"])
            conn.sendall(json.dumps(request).encode() + b"\n")
            pid = _peer_pid(conn)
            pidfd = os.pidfd_open(pid)         # from now on the pid cannot name another process
            if self.privileged:       # before it forks anything: the kernel and all it starts
                made = cgroups.make_cgroups(
                    cgroups.parents(), cgroup_name(self.uid, f"k{pid}-{secrets.token_hex(4)}"),
                    self.limits)
                cgroups.join(made, pid)
                if select.select([pidfd], [], [], 0)[0]:
                    raise SandboxUnavailable("the kernel's keeper ended before it could start")
            conn.sendall(b"go\n" + b"".join(data for _, data in contents))
            reply = _line(conn)
            if reply != "ok":
                raise SandboxUnavailable(f"the kernel could not be forked: {reply or 'no reply'}")
            conn.settimeout(None)
            return WarmKernel(pid, pidfd, conn, made)
        except BaseException:
            if pidfd is not None:
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except OSError:
                    pass
                os.close(pidfd)
            conn.close()
            for path in made:
                cgroups.kill_cgroup(path)
            raise


def _peer_pid(conn):
    """The pid the keeper sent as its credentials, translated by Linux into our PID namespace."""
    size = socket.CMSG_SPACE(struct.calcsize("3i"))
    data, ancillary, _, _ = conn.recvmsg(16, size)
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            return struct.unpack("3i", payload[:12])[0]
    raise SandboxUnavailable(f"the zygote answered without credentials: {data!r}")


def _line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()


class WarmKernel(KernelProcess):
    """A forked kernel as jupyter_client's provisioner handles a Popen: poll, wait, signal, kill.

    ``pid`` is the keeper's (its children are the namespace's init and the kernel): killing it
    kills them all; closing the connection does too.  Signals go through a pidfd, so they can
    never reach another process that got the pid after the keeper ended.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid, pidfd, conn, made):
        self.pid, self._pidfd, self.conn, self.cgroups = pid, pidfd, conn, made
        self.returncode = None
        self._killed = False

    def poll(self):
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            # not our child: its exit status is the zygote's to reap; a kill we sent we know of
            self.returncode = -signal.SIGKILL if self._killed else 0
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("kernel", timeout)
            self.poll()
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            if signum == signal.SIGKILL:
                self._killed = True
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def finish(self):
        """After the kernel: hang up and kill the keeper (ends it and its whole namespace, even
        if the kernel stopped it), remove its cgroups."""
        self.conn.close()
        self.kill()
        for path in self.cgroups:
            cgroups.kill_cgroup(path)
        self.cgroups = []
        try:
            os.close(self._pidfd)
        except OSError:
            pass
