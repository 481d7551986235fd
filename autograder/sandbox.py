"""The student's kernel in a bubblewrap sandbox; nbgrader, the tests' verdicts and the gradebook stay outside.

Guarantees (``autograde`` uses it by default; ``python -m autograder sandbox-check`` tests a machine):
- the kernel runs as an unprivileged uid (when grading runs as root: a uid of its own per grading slot,
  never 0 inside or outside), in new user, PID, network, IPC and UTS namespaces: no network at all (not
  even loopback), no signal to any process outside, and everything it starts dies with it;
- it sees the Python installation, the virtualenv, nnlib and the grader's kernel-side helpers read-only,
  a private size-limited working folder holding a copy of the submission, a private /tmp; nothing else
  (no course folder, gradebook, other submission, source notebook, test, home folder);
- memory (cgroup + address space), processes, CPU time, file size, disk and open files are bounded.
Not guaranteed: anything inside the kernel's own process (student code can still patch its test helpers in
memory -- the guard and the test-cell checks deal with that -- or burn its own CPU and memory budget);
protection from host kernel bugs (no seccomp filter); without root, the kernel's uid outside is the
grading user's own and the memory/process cgroups are not set (rlimits only).

How: the worker (trusted) builds a ``bwrap`` command around the kernel command line and launches it
through :class:`SandboxedKernelManager`; the kernel talks to the worker only through its ZMQ socket files,
in a folder bound into the sandbox for that alone.  As root, the launcher process joins the kernel's
cgroups, bind-mounts the read-only trees into a staging folder in a private mount namespace (the sandbox
uid cannot traverse e.g. /root to reach a pyenv Python), sets the rlimits, drops to the slot's uid and
execs bwrap, which then runs without any privilege.
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import glob
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

from autograder.apt import install_debian_package

BWRAP = "bwrap"
# Sandbox uids (as root): one per grading slot, far above any uid /etc/passwd or subuid ranges hand out.
UID_BASE = int(os.environ.get("AUTOGRADER_SANDBOX_UID_BASE", "2000000000"))
SLOTS = 1024
INSIDE_UID = 1000                        # the kernel's uid as seen from inside
HOME = "/home/student"                   # the private working folder (the kernel's cwd)
HELPERS = "/opt/autograder-kernel"       # read-only package dir on the kernel's PYTHONPATH
# What runs inside the sandbox from autograder (test cells import guard, checks, reference; the zygote
# forks the kernels); nothing else of the package is shipped.
KERNEL_MODULES = ("__init__.py", "guard.py", "checks.py", "reference.py", "zygote.py")
# The grader's environment a kernel gets: set by nbgrader for the kernel it runs (nnlib's widgets
# then show nothing, the digits' live training does not start).
PASSED_ENV = ("NBGRADER_EXECUTION",)
HOW_TO_INSTALL = ("install bubblewrap: `apt-get install bubblewrap` (Debian/Ubuntu; `make setup` does it "
                  "when run as root), `dnf install bubblewrap` (Fedora)")
HOW_TO_USERNS = ("allow unprivileged user namespaces: `sysctl -w user.max_user_namespaces=15000`, on "
                 "Debian <= 10 also `sysctl -w kernel.unprivileged_userns_clone=1`, on Ubuntu >= 23.10 "
                 "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in a container, run it "
                 "with user namespaces allowed (e.g. docker --security-opt seccomp=unconfined)")

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18


class SandboxUnavailable(Exception):
    """The sandbox cannot start here; the message says why and how to fix it."""


@dataclass(frozen=True)
class Limits:
    """Per-kernel bounds (wall-clock bounds are the worker's: per-cell timeout, notebook budget)."""
    memory_mb: int = 2048        # cgroup (all processes) and address space (each process)
    processes: int = 64          # processes + threads (pids cgroup, RLIMIT_NPROC)
    cpu_seconds: int = 300       # CPU time of each process (RLIMIT_CPU)
    disk_mb: int = 256           # working folder and /tmp (tmpfs size), largest file (RLIMIT_FSIZE)
    open_files: int = 256        # RLIMIT_NOFILE

    def rlimits(self, privileged):
        mb = 2 ** 20
        limits = [(resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_FSIZE, self.disk_mb * mb),
                  (resource.RLIMIT_NOFILE, self.open_files)]
        if self.memory_mb:
            limits.append((resource.RLIMIT_AS, self.memory_mb * mb))
        if privileged:   # counted per uid: only meaningful when the uid is the sandbox's own
            limits.append((resource.RLIMIT_NPROC, self.processes))
        return limits


def _check(result):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _python_trees():
    """Read-only trees the kernel needs: the base Python, the virtualenv, the installed nnlib."""
    import importlib.util
    nnlib = importlib.util.find_spec("nnlib")       # where it is, without importing numpy here
    trees = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.abspath(nnlib.origin))]
    out = []
    for tree in map(os.path.abspath, trees):    # bound at the paths sys.executable uses
        if tree not in out and not any(tree.startswith(t + os.sep) for t in out):
            out.append(tree)
    return out


def _font_caches():
    """matplotlib's font list (built once, trusted side): without it every kernel rebuilds it, slowly
    and with a warning on stderr (which scores a test cell 0)."""
    base = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    found = sorted(glob.glob(os.path.join(base, "fontlist-v*.json")))
    if not found:
        try:
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                           capture_output=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            return []
        found = sorted(glob.glob(os.path.join(base, "fontlist-v*.json")))
    return found


def _own_cgroup(controller):
    """(mount point, our own path) of a cgroup v1 controller we can write, or None."""
    mount = f"/sys/fs/cgroup/{controller}"
    if not os.path.isdir(mount) or not os.access(mount, os.W_OK):
        return None
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        for line in handle:
            _, names, path = line.rstrip("\n").split(":", 2)
            if controller in names.split(","):
                full = os.path.join(mount, path.lstrip("/"))
                return full if os.access(full, os.W_OK) else None
    return None


def _kill_cgroup(path, wait=5.0):
    """SIGKILL everything in a cgroup and remove it (no-op when gone)."""
    deadline = time.monotonic() + wait
    while os.path.isdir(path):
        try:
            with open(os.path.join(path, "cgroup.procs"), encoding="utf-8") as handle:
                pids = [int(p) for p in handle.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
    return True


def _lock_slot(uid):
    """An fd holding the lock of sandbox uid ``uid``, or None when a live process holds it."""
    folder = "/run/autograder-sandbox" if os.access("/run", os.W_OK) else tempfile.gettempdir()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(folder, f"slot-{uid - UID_BASE}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def remove_stale():
    """Remove the cgroups and folders that killed workers left (of slots no live process holds);
    their processes died with them (bwrap's --die-with-parent).  Returns how many were removed."""
    if os.geteuid() != 0:
        return 0
    found = {}
    parents = [p for p in (_own_cgroup("memory"), _own_cgroup("pids")) if p]
    for pattern in [os.path.join(p, "autograder-*-*") for p in parents] + [
            os.path.join(tempfile.gettempdir(), "agsandbox-*-*")]:
        for path in glob.glob(pattern):
            uid = os.path.basename(path).split("-")[1]
            if uid.isdigit() and UID_BASE <= int(uid) < UID_BASE + SLOTS:
                found.setdefault(int(uid), []).append(path)
    removed = 0
    for uid, paths in found.items():
        fd = _lock_slot(uid)
        if fd is None:            # a worker is using this slot right now
            continue
        try:
            for path in paths:
                if path.startswith("/sys/"):
                    removed += _kill_cgroup(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        finally:
            os.close(fd)
    return removed


def _children(pid):
    """Direct children of ``pid`` (from /proc: works for processes in child PID namespaces)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def sandbox_processes(bwrap_pid):
    """Host pids of the processes in the sandbox of the bwrap started as ``bwrap_pid``:
    [init (pid 1 inside), the command (pid 2 inside) and whatever else still runs]."""
    found, todo = [], _children(bwrap_pid)
    while todo:
        pid = todo.pop(0)
        found.append(pid)
        todo.extend(_children(pid))
    return found


class Launch:
    """One sandboxed process being started: bwrap's argv, Popen's arguments, what to undo after."""

    def __init__(self, argv, popen_kwargs, fds, cgroups):
        self.argv, self.popen_kwargs, self.fds, self.cgroups = argv, popen_kwargs, fds, cgroups

    def started(self):
        """Close our copies of the files handed to bwrap (call once Popen has returned)."""
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []

    def finish(self):
        """After the process ended: kill what is left in its cgroups and remove them."""
        self.started()
        for path in self.cgroups:
            _kill_cgroup(path)
        self.cgroups = []


class KernelFiles:
    """The files the trusted side makes for a kernel, handed to the sandbox's uid (both kinds of
    sandbox: :class:`Sandbox` and autograder.warm.WarmSandbox)."""

    def private_dir(self):
        """A new folder only the sandbox uid (and root) can use: a kernel's ipc folder."""
        path = tempfile.mkdtemp(prefix="kernel-", dir=self.ipc_parent)
        if self.privileged:
            os.chown(path, self.uid, self.gid)
        return path

    def give(self, path):
        """Make a file the trusted side wrote readable by the sandbox uid (the connection file)."""
        if self.privileged:
            os.chown(path, self.uid, self.gid)


class Sandbox(KernelFiles):
    """The trusted side of one worker's sandboxes: a uid slot, the read-only trees, the limits.

    ``files`` are host files copied into the kernel's working folder (the kernel writes no host
    file).  Use as a context manager, or ``open()`` / ``close()``; ``prepare(command)`` gives a
    :class:`Launch` for one sandboxed process.
    """

    def __init__(self, files=(), limits=Limits(), env=None):
        self.files = [os.path.abspath(f) for f in files]
        self.limits = limits
        self.extra_env = dict(env or {})
        self.privileged = os.geteuid() == 0
        self.uid = None
        self._lock = None
        self._dir = None
        self._count = 0
        self._cgroup_parents = []

    # ------------------------------------------------------------------ set-up
    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self):
        if shutil.which(BWRAP) is None:
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed; {HOW_TO_INSTALL}")
        try:
            return self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        self.uid = self._take_slot() if self.privileged else os.getuid()
        self.gid = self.uid if self.privileged else os.getgid()
        # named by uid so that what a killed worker leaves is found again (remove_stale)
        self._dir = tempfile.mkdtemp(prefix=f"agsandbox-{self.uid}-")
        os.chmod(self._dir, 0o711)         # the sandbox uid must traverse it to its ipc folder
        lib = os.path.join(self._dir, "lib", "autograder")
        os.makedirs(lib)
        here = os.path.dirname(os.path.abspath(__file__))
        for name in KERNEL_MODULES:
            shutil.copyfile(os.path.join(here, name), os.path.join(lib, name))
            os.chmod(os.path.join(lib, name), 0o644)      # whatever the grader's umask
        os.chmod(os.path.join(self._dir, "lib"), 0o755)
        os.chmod(lib, 0o755)
        self.trees = _python_trees()
        self.fonts = _font_caches()
        if self.privileged:
            for controller in ("memory", "pids"):
                parent = _own_cgroup(controller)
                if parent:
                    self._cgroup_parents.append(parent)
                    for stale in glob.glob(os.path.join(parent, f"autograder-{self.uid}-*")):
                        _kill_cgroup(stale)      # left by a worker with this slot that was killed
        return self

    def _take_slot(self):
        """Lock a free sandbox uid for this process's lifetime (released when it exits, even killed)."""
        for slot in range(SLOTS):
            fd = _lock_slot(UID_BASE + slot)
            if fd is not None:
                self._lock = fd
                return UID_BASE + slot
        raise SandboxUnavailable(f"all {SLOTS} sandbox slots are in use")

    def close(self):
        for parent in self._cgroup_parents:
            for path in glob.glob(os.path.join(parent, f"autograder-{self.uid}-*")):
                _kill_cgroup(path)
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # ------------------------------------------------------------------ one process
    @property
    def ipc_parent(self):
        return self._dir

    def environment(self):
        env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": HOME,
               "LANG": "C.UTF-8", "TMPDIR": "/tmp", "PYTHONPATH": HELPERS,
               "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": HOME + "/.matplotlib", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2",
               "AUTOGRADER_SANDBOX": "1"}
        for name in PASSED_ENV:
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(self.extra_env)
        return env

    def prepare(self, command, writable=(), nested=False, keep_fds=(), env=None):
        """A :class:`Launch` running ``command`` sandboxed; ``writable`` host folders are bound
        read-write at the same path (the kernel's ipc folder).  ``nested``: the command may create
        namespaces of its own (the zygote, which gives each kernel its own and forbids further
        ones there); ``keep_fds`` stay open in it, ``env`` adds to its environment."""
        if self._dir is None:
            raise RuntimeError("Sandbox.open() first")
        self._count += 1
        limits = self.limits
        disk = str(limits.disk_mb * 2 ** 20)
        argv = [BWRAP, "--unshare-all", "--unshare-user", "--die-with-parent",
                "--hostname", "sandbox", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID),
                "--clearenv"]
        if not nested:
            argv.insert(3, "--disable-userns")
        for key, value in {**self.environment(), **(env or {})}.items():
            argv += ["--setenv", key, value]
        argv += ["--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink(f"/{link}"):
                argv += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
            elif os.path.isdir(f"/{link}"):
                argv += ["--ro-bind", f"/{link}", f"/{link}"]
        for name in ("ld.so.cache", "localtime"):
            argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 * 2 ** 20), "--tmpfs", "/dev/shm",
                 "--remount-ro", "/dev", "--size", disk, "--tmpfs", "/tmp",
                 "--size", disk, "--tmpfs", HOME]
        fds = []

        def copy_in(host, inside):
            fd = os.open(host, os.O_RDONLY)
            fds.append(fd)
            return ["--file", str(fd), inside]

        for path in self.files:
            argv += copy_in(path, f"{HOME}/{os.path.basename(path)}")
        if self.fonts:
            argv += ["--dir", HOME + "/.matplotlib"]
            for path in self.fonts:
                argv += copy_in(path, f"{HOME}/.matplotlib/{os.path.basename(path)}")
        # read-only trees: bound from a staging folder when the sandbox uid cannot reach them
        ro = [(tree, tree) for tree in self.trees] + [(os.path.join(self._dir, "lib"), HELPERS)]
        rw = [(path, path) for path in writable]
        stage, staged = [], {}
        if self.privileged:
            stage_dir = os.path.join(self._dir, f"stage-{self._count}")
            os.mkdir(stage_dir)
            os.chmod(stage_dir, 0o711)
            for i, (src, _) in enumerate(ro + rw):
                if src in staged or src.startswith(self._dir + os.sep):
                    continue
                point = os.path.join(stage_dir, str(i))
                os.mkdir(point, 0o755)
                stage.append((src, point))
                staged[src] = point
        for src, dest in ro:
            argv += ["--ro-bind", staged.get(src, src), dest]
        for src, dest in rw:
            argv += ["--bind", staged.get(src, src), dest]
        argv += ["--remount-ro", "/", "--chdir", HOME, "--"] + list(command)

        cgroups = (make_cgroups(self._cgroup_parents, f"autograder-{self.uid}-{self._count}", limits)
                   if self.privileged else [])
        preexec = _launcher(cgroups, stage, limits.rlimits(self.privileged),
                            self.uid if self.privileged else None, self.gid)
        popen = {"env": {"PATH": "/usr/bin:/bin"}, "cwd": "/", "pass_fds": tuple(fds) + tuple(keep_fds),
                 "preexec_fn": preexec}
        return Launch(argv, popen, fds, cgroups)

    def run(self, command, timeout=60, **kwargs):
        """Run ``command`` in a fresh sandbox and wait: a CompletedProcess (``sandbox-check``, tests)."""
        launch = self.prepare(command)
        try:
            process = subprocess.Popen(launch.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, start_new_session=True,
                                       **launch.popen_kwargs, **kwargs)
            launch.started()
            try:
                out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                out, err = process.communicate()
            return subprocess.CompletedProcess(launch.argv, process.returncode, out, err)
        finally:
            launch.finish()


def make_cgroups(parents, name, limits):
    """Cgroups ``name`` under each of ``parents`` (memory, pids) bounded by ``limits``: paths."""
    made = []
    for parent in parents:
        path = os.path.join(parent, name)
        os.mkdir(path)
        made.append(path)
        if "/memory/" in path:
            if not limits.memory_mb:
                continue
            limit = str(limits.memory_mb * 2 ** 20)
            Path(path, "memory.limit_in_bytes").write_text(limit)
            if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                Path(path, "memory.memsw.limit_in_bytes").write_text(limit)
        else:
            Path(path, "pids.max").write_text(str(limits.processes))
    return made


def _launcher(cgroups, stage, rlimits, uid, gid):
    """The code run in the forked launcher before it execs bwrap (as root: join the cgroups, stage the
    read-only trees in a private mount namespace, set the limits, drop to the sandbox uid).  Only
    system calls: it runs between fork and exec."""
    procs = [os.path.join(path, "cgroup.procs") for path in cgroups]
    stage = [(src.encode(), point.encode()) for src, point in stage]

    def launcher():
        pid = str(os.getpid()).encode()
        for path in procs:
            fd = os.open(path, os.O_WRONLY)
            os.write(fd, pid)
            os.close(fd)
        if stage:
            _check(_libc.unshare(_CLONE_NEWNS))
            _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None))
            for src, point in stage:
                _check(_libc.mount(src, point, None, _MS_BIND | _MS_REC, None))
        for which, value in rlimits:
            resource.setrlimit(which, (value, value))
        if uid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
    return launcher


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is: the kernel_info handshake as
    jupyter_client does it (a reply on shell and a message on IOPub: both connected), without the
    fixed 0.2 s of IOPub silence it then waits for -- nbclient only reads the messages of its own
    requests, so a late status message of the handshake is ignored anyway."""

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class SandboxedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager with the kernel started inside :attr:`sandbox` (set on a
    subclass by :func:`kernel_manager_for`): ipc transport in a private folder, bwrap around the
    kernel command, SIGINT delivered to the kernel itself, cgroups removed after it ends."""

    sandbox: Sandbox = None
    client_class = DottedObjectName("autograder.sandbox.PromptKernelClient")
    client_factory = Type(PromptKernelClient)

    async def _async_pre_start_kernel(self, **kw):
        self._ipc_dir = self.sandbox.private_dir()
        self.transport = "ipc"
        self.ip = os.path.join(self._ipc_dir, "k")
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self.sandbox.give(self.connection_file)
        if hasattr(self.sandbox, "spawn"):     # a warm kernel, forked (autograder.warm)
            self._launch = process = self.sandbox.spawn(kernel_cmd)
            self.provisioner.process, self.provisioner.pid = process, process.pid
            self.provisioner.pgid = None
            self._reconcile_connection_info(self.provisioner.connection_info)
            return
        self._launch = self.sandbox.prepare(kernel_cmd, writable=[self._ipc_dir])
        kw.update(self._launch.popen_kwargs)
        try:
            await super()._async_launch_kernel(self._launch.argv, **kw)
        finally:
            self._launch.started()

    async def _async_post_start_kernel(self, **kw):
        await self._seal_sockets()
        await super()._async_post_start_kernel(**kw)

    async def _seal_sockets(self, timeout=60.0):
        """Once the kernel has bound its five sockets (before any student code runs), take the
        folder back: the kernel can then not swap a socket for a symlink that would make this
        trusted process connect to any other socket on the host when ZMQ reconnects."""
        paths = [f"{self.ip}-{port}" for port in (self.shell_port, self.iopub_port,
                                                   self.stdin_port, self.hb_port, self.control_port)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.provisioner and \
                await self.provisioner.poll() is None:
            if all(os.path.exists(path) for path in paths):
                break
            await asyncio.sleep(0.02)
        if os.geteuid() == 0:
            os.chown(self._ipc_dir, 0, 0)
        os.chmod(self._ipc_dir, 0o755)
        for path in paths:
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            if not stat.S_ISSOCK(mode):
                raise RuntimeError(f"the kernel's socket {path} is not a socket")

    async def _async_wait(self, pollinterval=0.1):
        """The kernel's end, awaited on a pidfd: jupyter_client polls every 100 ms, which every
        graded notebook would pay once when its kernel is stopped."""
        pid = self.provisioner.pid if self.provisioner is not None else None
        try:
            fd = os.pidfd_open(pid)
        except (TypeError, OSError):          # gone already, or no pidfd here
            return await super()._async_wait(pollinterval)
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
        try:
            if await self._async_is_alive():
                await ended
        finally:
            loop.remove_reader(fd)
            os.close(fd)

    async def _async_signal_kernel(self, signum):
        # bwrap's own process would die of SIGINT and take the kernel with it: an interrupt goes to
        # the processes inside (the kernel and whatever it started), never to bwrap.
        if signum == signal.SIGINT and self.provisioner is not None and self.provisioner.pid:
            inside = sandbox_processes(self.provisioner.pid)[1:]      # not bwrap's init
            for pid in inside:
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            if inside:
                return
        await super()._async_signal_kernel(signum)

    async def _async_cleanup_resources(self, restart=False):
        if getattr(self, "_ipc_dir", None) and os.path.isdir(self._ipc_dir):
            os.chmod(self._ipc_dir, 0o700)         # writable again for us, to remove the sockets
        await super()._async_cleanup_resources(restart=restart)
        launch = getattr(self, "_launch", None)
        if launch is not None:
            launch.finish()
        shutil.rmtree(getattr(self, "_ipc_dir", ""), ignore_errors=True)


def kernel_manager_for(sandbox):
    """A SandboxedKernelManager class bound to ``sandbox`` (nbclient instantiates it by class)."""
    return type("SandboxedKernelManager", (SandboxedKernelManager,), {"sandbox": sandbox})


def sandboxed_preprocessors(classes, sandbox):
    """The autograde preprocessors with every executing one starting its kernels in ``sandbox``.

    nbgrader's Execute passes ``kernel_manager_class=AsyncKernelManager`` to its own constructor,
    which beats any config; a subclass passing ours is the way in.
    """
    from nbconvert.preprocessors import ExecutePreprocessor

    manager = kernel_manager_for(sandbox)
    out = []
    for cls in classes:
        if isinstance(cls, type) and issubclass(cls, ExecutePreprocessor):
            def __init__(self, *args, _base=cls, **kwargs):
                kwargs["kernel_manager_class"] = manager
                _base.__init__(self, *args, **kwargs)
            cls = type(cls.__name__, (cls,), {"__init__": __init__, "__module__": cls.__module__})
        out.append(cls)
    return out


PROBE = """import json, os, socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("192.0.2.1", 9))
    network = "reachable"
except OSError as error:
    network = error.strerror
print(json.dumps({"uid": os.getuid(), "network": network}))
"""


def check():
    """(ok, lines): can this machine run the sandbox, and what is enforced (``sandbox-check``).

    Starts a real sandboxed Python and asks it who it is and whether it has a route out
    (a UDP connect() sends no packet).
    """
    import json
    lines = []
    path = shutil.which(BWRAP)
    if path is None:
        return False, [f"bubblewrap (bwrap) is not installed: {HOW_TO_INSTALL}"]
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    lines.append(f"bubblewrap: {path} ({version})")
    box = Sandbox()
    try:
        box.open()
        result = box.run([sys.executable, "-c", PROBE], timeout=120)
    except (SandboxUnavailable, OSError, subprocess.SubprocessError) as exc:
        return False, lines + [f"the sandbox could not start: {exc}"]
    finally:
        box.close()
    if result.returncode != 0:
        err = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no message"
        hint = HOW_TO_USERNS if any(word in err for word in ("namespace", "uid map", "permitted",
                                                              "Permission")) else ""
        return False, lines + [f"a sandboxed Python failed to start: {err}"] + ([hint] if hint else [])
    seen = json.loads(result.stdout)
    user = (f"uid {box.uid} outside (one reserved uid per grading slot from {UID_BASE}), "
            f"{seen['uid']} inside" if box.privileged else
            f"your own uid ({os.getuid()}) outside, {seen['uid']} inside (run as root for a "
            "uid of its own per slot)")
    lines.append(f"kernel user: {user}")
    lines.append(f"network inside: {seen['network']}")
    cgroups = [c for c in ("memory", "pids") if box.privileged and _own_cgroup(c)]
    lines.append("limits: " + (f"cgroups ({', '.join(cgroups)})" if cgroups else "no cgroups")
                 + " + rlimits (address space, CPU, file size"
                 + (", processes" if box.privileged else "") + ", open files), tmpfs sizes")
    ok = seen["uid"] != 0 and seen["network"] != "reachable"
    return ok, lines


_available = None


def require():
    """Raise SandboxUnavailable (why, how to fix) unless sandboxed kernels can start here."""
    global _available
    if _available is None:
        _available = check()
    ok, lines = _available
    if not ok:
        raise SandboxUnavailable("; ".join(lines[-2:]) if len(lines) > 1 else lines[0])


def install_bwrap():
    """Install Debian's bubblewrap when it is missing and we may (root with apt-get): (ok, why)."""
    if shutil.which(BWRAP):
        return True, f"bubblewrap found at {shutil.which(BWRAP)}"
    ok, why = install_debian_package("bubblewrap")
    return ok, (why if ok else f"bubblewrap is missing: {why}; {HOW_TO_INSTALL}")


def main(argv=None):
    """``python -m autograder.sandbox`` (``make setup``): install bubblewrap when missing and
    possible, then say whether sandboxed grading works here.  Exit 1 only under CI=true, where
    grading without the sandbox must never pass unnoticed; students do not need it (validate
    runs unsandboxed)."""
    installed, why = install_bwrap()
    print(f"sandbox: {why}", flush=True)
    ok, lines = check() if installed else (False, [])
    for line in lines:
        print(f"sandbox: {line}")
    if ok:
        return 0
    print("sandbox: NOT AVAILABLE: `python -m autograder autograde` will refuse to grade here "
          "(students' `validate` does not need it)", flush=True)
    return 1 if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else 0


if __name__ == "__main__":
    sys.exit(main())
