"""Warm kernels inside the sandbox: ``python -m autograder.kernel.zygote`` (started by autograder.sandbox.warm).

A cold kernel spends most of its start importing: Python, ipykernel, numpy, matplotlib, nnlib.  This
process does that once per grading slot, inside the slot's bubblewrap sandbox, and then forks one
kernel per submission.  No student code ever runs here; each kernel is walled off from it and from
the kernels before it by namespaces of its own, nested in the sandbox's:

    zygote (this loop: accept a request, fork)
      └─ keeper   the worker's handle on the kernel, in a session of its own: reports its pid,
                  waits for "go" (the worker has put it in the job's cgroups), receives the
                  submission's files, lowers the rlimits, unshares user + mount + PID + network +
                  IPC + UTS namespaces, mounts a fresh working folder (only this submission's
                  files), /tmp and /dev/shm; ends the kernel when the worker hangs up
           └─ init (pid 1 of the new PID namespace): mounts its own /proc, forbids further user
                  namespaces, reaps; when it ends, everything in the namespace is killed
                └─ kernel: no capabilities, no_new_privs, uid 1000; ipykernel with the job's
                  arguments

The kernel therefore cannot see the zygote or any earlier kernel (PID namespace), nor signal it
(its own session), nor find any file an earlier submission wrote (fresh tmpfs mounts) or read in
its memory (the zygote never receives a submission's files), nor reach the control socket (never
in its file system; its descriptor is closed before the fork).
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import struct
import sys

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
HOME = "/home/student"
UID = 1000
# What every notebook's kernel imports; a kernel forked from here finds them loaded.
WARM = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
        "numpy", "matplotlib",
        "matplotlib.pyplot", "ipywidgets", "nnlib", "nnlib.checks", "nnlib.widgets",
        "nnlib.lessons", "nnlib.pictures")


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _write(path, text):
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def warm_up():
    """Import what kernels need (failures are fine: the kernel imports it again, cold)."""
    import importlib
    import matplotlib
    matplotlib.use("Agg")
    for name in WARM:
        try:
            importlib.import_module(name)
        except Exception:       # noqa: BLE001 -- a missing extra only costs a cold import later
            pass
    try:                        # what each graded test cell's line in the kernel imports
        import autograder.kernel.serve  # noqa: F401
    except Exception:           # noqa: BLE001
        pass


# ------------------------------------------------------------------------------------ keeper
def keeper(conn, request, zygote):
    """The forked child that turns into one walled-off kernel (see the module docstring)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote:                   # the zygote died before the line above
        os._exit(4)
    # a session of its own: the kernel's kill(0, ...) reaches its own processes, never the zygote
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # our pid, as the worker sees it (the kernel translates it into the receiver's PID namespace)
    creds = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    conn.sendmsg([b"pid\n"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
    stream = conn.makefile("rb", buffering=0)
    if stream.readline(16) != b"go\n":           # the worker did not put us in the job's cgroups
        os._exit(3)
    # the submission's files come now, to this process only: the zygote, which every later kernel
    # is forked from, never holds a student's work in its memory
    files = {}
    for name, size in request.get("files", []):
        files[os.path.basename(name)] = _read_exactly(stream, int(size))
    stream.close()                      # else it would keep the socket open in init
    import resource
    for which, value in request.get("rlimits", []):
        resource.setrlimit(which, (value, value))
    os.environ.update(request.get("env", {}))
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
                         | CLONE_NEWUTS), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{UID} {uid} 1")
    _write("/proc/self/gid_map", f"{UID} {gid} 1")
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)        # the kernel below cannot read this process
    _loopback_up()                                   # as bwrap gives every sandbox
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    size = int(request.get("disk_mb", 256)) * 2 ** 20
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={64 * 2 ** 20},mode=1777")
    # what bwrap bound below /tmp (a checkout or virtualenv there, the socket folder) must stay
    # in sight across the fresh /tmp: set aside in a stash, put back on top (read-only stays so)
    kept = _mounts_below(("/tmp", HOME))
    stashes = []
    for index, point in enumerate(kept):
        stash = f"/dev/shm/.kept-{index}"
        if os.path.isdir(point):
            os.mkdir(stash)
        else:
            open(stash, "wb").close()
        _mount(point, stash, None, MS_BIND | MS_REC)
        stashes.append(stash)
    for target in (HOME, "/tmp"):
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for point, stash in zip(kept, stashes):
        if os.path.isdir(stash):
            os.makedirs(point, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(point), exist_ok=True)
            open(point, "wb").close()
        _mount(stash, point, None, MS_BIND | MS_REC)
        _check(_libc.umount2(stash.encode(), MNT_DETACH), "umount stash")
        (os.rmdir if os.path.isdir(stash) else os.remove)(stash)
    for name, content in files.items():
        with open(os.path.join(HOME, name), "wb") as handle:
            handle.write(content)
    del files
    os.makedirs(os.path.join(HOME, ".matplotlib"), exist_ok=True)
    ready, done = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(ready)
        conn.close()
        _init(request, done)
    os.close(done)
    said = _read_all(ready, timeout=60)
    if said != b"ok":                            # init could not set up: say why, end it
        os.kill(init, signal.SIGKILL)
        conn.sendall(b"error " + (said or b"the kernel's init ended without a word") + b"\n")
        os._exit(5)
    conn.sendall(b"ok\n")
    # stay as the worker's handle: end the kernel (all of its namespace) when the worker hangs up
    pidfd = os.pidfd_open(init)
    while True:
        readable, _, _ = select.select([conn, pidfd], [], [])
        if pidfd in readable:
            _, status = os.waitpid(init, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        if conn in readable and not conn.recv(16):
            os.kill(init, signal.SIGKILL)


def _mounts_below(tops):
    """The outermost mount points strictly below any of ``tops``, from /proc/self/mountinfo."""
    import re
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if any(point.startswith(top + "/") for top in tops):
                points.append(point)
    return sorted({p for p in points
                   if not any(p.startswith(q + "/") for q in points if q != p)})


def _read_exactly(stream, size):
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the worker hung up while sending the submission's files")
        data += chunk
    return bytes(data)


def _read_all(fd, timeout):
    data = b""
    while select.select([fd], [], [], timeout)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return data.strip()


def _loopback_up():
    import fcntl
    iff_up, iff_loopback, iff_running, siocsifflags = 0x1, 0x8, 0x40, 0x8914
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, siocsifflags,
                    struct.pack("16sH22x", b"lo", iff_up | iff_loopback | iff_running))


def _init(request, done):
    """pid 1 of the kernel's PID namespace: says "ok" on ``done`` once set up, then reaps."""
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            _write("/proc/sys/user/max_user_namespaces", "0")    # no namespace of the kernel's own
        except OSError as exc:
            os.write(done, f"the kernel's init: {exc}".encode())
            os._exit(70)
        kernel = os.fork()
        if kernel == 0:
            os.close(done)
            _kernel(request)
        _drop_privileges()
        os.write(done, b"ok")
        os.close(done)
        while True:
            pid, status = os.wait()
            if pid == kernel:
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException:           # noqa: BLE001 -- never return into the zygote's loop
        os._exit(70)


def _drop_privileges():
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    header = struct.pack("Ii", 0x20080522, 0)       # _LINUX_CAPABILITY_VERSION_3, this thread
    data = ctypes.create_string_buffer(24)           # effective/permitted/inheritable x 2: none
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _kernel(request):
    """The kernel itself: ipykernel with the job's arguments (its connection file, nbgrader's
    in-memory history...), as ``ipykernel_launcher`` runs it."""
    code = 1
    try:
        _drop_privileges()
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)      # its own /proc entries readable, as usual
        os.chdir(HOME)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1 << 16)
        # as a fresh Python has them (SIGPIPE and SIGXFSZ stay ignored, as Python leaves them)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if "numpy" in sys.modules:            # a random state of its own, as a fresh import has
            sys.modules["numpy"].random.seed()
        sys.argv = [sys.executable, "-m", "ipykernel_launcher", *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp
        IPKernelApp.launch_instance(argv=request["argv"])
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException:           # noqa: BLE001
        code = 1
    os._exit(code)


# ------------------------------------------------------------------------------------ zygote
def serve(listener):
    """Accept one request per connection and fork a keeper for it; forever (until bwrap ends).

    A request is one line of JSON: settings and the names and sizes of the submission's files --
    never their contents, which go to the keeper after the fork (see keeper)."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)        # keepers are reaped by the system
    me = os.getpid()
    while True:
        conn, _ = listener.accept()
        try:
            conn.settimeout(30)
            raw = b""
            while not raw.endswith(b"\n") and len(raw) < 1 << 16:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                raw += chunk
            request = json.loads(raw)
            conn.settimeout(None)
            if os.fork() == 0:
                code = 71
                try:
                    listener.close()
                    keeper(conn, request, me)
                except BaseException as exc:     # noqa: BLE001 -- say why, never return to the loop
                    try:
                        conn.sendall(f"error {exc}\n".encode())
                    except BaseException:        # noqa: BLE001
                        pass
                finally:
                    os._exit(code)
        except (OSError, ValueError):
            pass
        finally:
            conn.close()


def main():
    listener = socket.socket(fileno=int(os.environ.pop("AUTOGRADER_ZYGOTE_FD")))
    warm_up()
    print("ready", flush=True)          # to the worker, on the pipe it reads once
    null = os.open(os.devnull, os.O_WRONLY)     # the worker stops reading both pipes now
    os.dup2(null, 1)
    os.dup2(null, 2)
    serve(listener)


if __name__ == "__main__":
    main()
