"""The cold sandbox: one bubblewrap process per kernel (a grading slot's uid, read-only trees, no network).

``Sandbox`` is one of the two sandbox backends behind :class:`Backend` (the other, forking kernels warm
from a zygote, is autograder.sandbox.warm): the kernel manager (autograder.sandbox.provisioner)
only ever calls ``backend.launch``.  As root, the launcher process joins the kernel's cgroups,
bind-mounts the read-only trees into a staging folder in a private mount namespace (the sandbox uid
cannot traverse e.g. /root to reach a pyenv Python), sets the rlimits, drops to the slot's uid and
execs bwrap, which then runs without any privilege.
"""

from __future__ import annotations

import abc
import ctypes
import glob
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.jobs import Limits
from autograder.sandbox import cgroups, slots

BWRAP = "bwrap"
INSIDE_UID = 1000                        # the kernel's uid as seen from inside
HOME = "/home/student"                   # the private working folder (the kernel's cwd)
HELPERS = "/opt/autograder-kernel"       # read-only package dir on the kernel's PYTHONPATH
# The grader's environment a kernel gets: set by nbgrader for the kernel it runs (nnlib's widgets
# then show nothing, the digits' live training does not start).
PASSED_ENV = ("NBGRADER_EXECUTION",)
HOW_TO_INSTALL = ("install bubblewrap: `apt-get install bubblewrap` (Debian/Ubuntu; `make setup` does it "
                  "when run as root), `dnf install bubblewrap` (Fedora)")

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18


class SandboxUnavailable(Exception):
    """The sandbox cannot start here; the message says why and how to fix it."""


def kernel_package():
    """The folder of autograder.kernel: the only code of autograder the sandbox is given."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kernel")


def ship_kernel_package(lib):
    """Copy autograder.kernel whole into ``lib``/autograder/kernel (with an empty autograder
    package above it), readable by any uid: what the sandbox's PYTHONPATH holds."""
    package = os.path.join(lib, "autograder")
    target = os.path.join(package, "kernel")
    os.makedirs(target)
    Path(package, "__init__.py").write_text('"""Only autograder.kernel is shipped into the sandbox."""\n')
    for name in sorted(os.listdir(kernel_package())):
        if name.endswith(".py"):
            shutil.copyfile(os.path.join(kernel_package(), name), os.path.join(target, name))
    for folder, _, files in os.walk(lib):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)      # whatever the grader's umask


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




def children(pid):
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
    found, todo = [], children(bwrap_pid)
    while todo:
        pid = todo.pop(0)
        found.append(pid)
        todo.extend(children(pid))
    return found




class KernelProcess:
    """A sandboxed kernel as jupyter_client's provisioner handles a Popen (poll, wait, send_signal,
    kill), plus what a sandbox adds: an interrupt that reaches the kernel inside rather than the
    sandbox's own process, and ``finish`` to remove what the sandbox made for it."""

    pid = None
    cgroups = ()           # the cgroups the kernel and all it starts are in (as root)

    @property
    def memory_cgroup(self):
        """The kernel's memory cgroup folder (None without one): its peak usage is measured from
        outside, where the kernel cannot change it."""
        return next((p for p in self.cgroups if "/memory/" in p), None)

    def interrupt(self):
        """SIGINT to the processes inside (the kernel and whatever it started), never to bwrap's
        init or the keeper, whose death would take the kernel with it.  False if none was found."""
        inside = sandbox_processes(self.pid)[1:]          # not the namespace's init
        for pid in inside:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        return bool(inside)

    def finish(self):
        """After the kernel: kill what is left, remove its cgroups and files."""


class Backend(abc.ABC):
    """One way of starting sandboxed kernels for a worker: the trusted side's files for a kernel
    (handed to the sandbox's uid) and :meth:`launch`."""

    uid = gid = None
    privileged = False

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

    @property
    @abc.abstractmethod
    def ipc_parent(self):
        """The folder under which kernels' ipc folders are made (visible inside the sandbox)."""

    @abc.abstractmethod
    def launch(self, kernel_cmd, ipc_dir, popen_kwargs):
        """Start ``kernel_cmd`` sandboxed with its sockets in ``ipc_dir``: a :class:`KernelProcess`."""

    def open(self):
        return self

    def close(self):
        pass


class ColdKernel(KernelProcess):
    """A kernel started as its own bwrap process (a Popen)."""

    def __init__(self, process, launch):
        self.process, self._launch = process, launch
        self.pid = process.pid

    def __getattr__(self, name):          # poll, wait, send_signal, kill, terminate, std streams
        return getattr(self.process, name)

    @property
    def cgroups(self):
        return self._launch.cgroups

    def finish(self):
        self._launch.finish()


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
            cgroups.kill_cgroup(path)
        self.cgroups = []


class Sandbox(Backend):
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
        if self.privileged:
            try:
                self.uid, self._lock = slots.take_slot()
            except slots.NoFreeSlot as exc:
                raise SandboxUnavailable(str(exc)) from None
        else:
            self.uid = os.getuid()
        self.gid = self.uid if self.privileged else os.getgid()
        # named by uid so that what a killed worker leaves is found again (slots.remove_stale)
        self._dir = tempfile.mkdtemp(prefix=slots.folder_prefix(self.uid))
        os.chmod(self._dir, 0o711)         # the sandbox uid must traverse it to its ipc folder
        ship_kernel_package(os.path.join(self._dir, "lib"))
        self.trees = _python_trees()
        self.fonts = _font_caches()
        if self.privileged:
            for parent in cgroups.parents():
                self._cgroup_parents.append(parent)
                for stale in glob.glob(os.path.join(parent, slots.cgroup_name(self.uid, "*"))):
                    cgroups.kill_cgroup(stale)      # left by a worker with this slot that was killed
        return self

    def close(self):
        for parent in self._cgroup_parents:
            for path in glob.glob(os.path.join(parent, slots.cgroup_name(self.uid, "*"))):
                cgroups.kill_cgroup(path)
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

        made = (cgroups.make_cgroups(self._cgroup_parents, slots.cgroup_name(self.uid, self._count),
                                     limits) if self.privileged else [])
        preexec = _launcher(made, stage, limits.rlimits(self.privileged),
                            self.uid if self.privileged else None, self.gid)
        popen = {"env": {"PATH": "/usr/bin:/bin"}, "cwd": "/", "pass_fds": tuple(fds) + tuple(keep_fds),
                 "preexec_fn": preexec}
        return Launch(argv, popen, fds, made)

    def launch(self, kernel_cmd, ipc_dir, popen_kwargs):
        from jupyter_client.launcher import launch_kernel
        launch = self.prepare(kernel_cmd, writable=[ipc_dir])
        try:
            process = launch_kernel(launch.argv, **{**popen_kwargs, **launch.popen_kwargs})
        except BaseException:
            launch.finish()
            raise
        launch.started()
        return ColdKernel(process, launch)

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


def _launcher(made, stage, rlimits, uid, gid):
    """The code run in the forked launcher before it execs bwrap (as root: join the cgroups, stage the
    read-only trees in a private mount namespace, set the limits, drop to the sandbox uid).  Only
    system calls: it runs between fork and exec."""
    procs = [os.path.join(path, "cgroup.procs") for path in made]
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
