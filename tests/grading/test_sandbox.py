"""The sandbox around the student's kernel, asserted from inside a real sandboxed kernel.

Every test runs code in a kernel started exactly as grading starts it (SandboxedKernelManager in a
Sandbox) and checks what that code could or could not do, and, from outside, what the kernel's
processes are.  Limits are small so the limit tests are fast and bounded (no real fork bomb); the
network tests target only a listener this test opens on 127.0.0.1 and a UDP connect() (which sends
no packet) to a documentation address.
"""

import asyncio
import csv
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.stages.autograde import autograde
from autograder.stages.build import build
from autograder.stages.collect import collect
from autograder.course import UNSANDBOXED, Course, CourseError
from autograder.stages.export import export, rows
from autograder.engines.local import LocalProcessGrader
from autograder.stages.summary import render
from autograder.jobs import Limits
from autograder.sandbox import HOME, Sandbox, bwrap, cgroups, slots
from autograder.sandbox import check as sandbox_check
from autograder.sandbox.bwrap import sandbox_processes
from autograder.sandbox.provisioner import kernel_manager_for
from autograder.sandbox.warm import WarmSandbox, Zygote

from .conftest import ASSIGNMENT, CELL_TIMEOUT, DATA, NOTEBOOK_TIMEOUT, write_submission

REPO = Path(__file__).resolve().parents[2]
MB = 2 ** 20
LIMITS = Limits(memory_mb=700, processes=48, cpu_seconds=120, disk_mb=16, open_files=128)



@pytest.fixture(scope="module", autouse=True)
def available():
    """Skip where the machine cannot run the sandbox -- but never in CI, where it must."""
    ok, lines = sandbox_check.check()
    if not ok:
        message = "the sandbox cannot start here: " + "; ".join(lines)
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(message)
        pytest.skip(message)


class Kernel:
    """A sandboxed kernel and a client, driven from synchronous tests."""

    def __init__(self, box):
        self.loop = asyncio.new_event_loop()
        self.km = kernel_manager_for(box)()
        # as nbgrader starts a grading kernel: its history in memory (a history file in HOME would
        # be opened by a thread at any moment -- also while a test holds every file it may open)
        self.loop.run_until_complete(self.km.start_kernel(
            extra_arguments=["--HistoryManager.hist_file=:memory:"]))
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.loop.run_until_complete(self.kc.wait_for_ready(timeout=60))
        except BaseException:
            # closed now: left to the garbage collector, the sockets' ResourceWarnings would fail
            # whichever later test happens to be running then
            self.close()
            raise

    def run(self, code):
        """stdout of ``code`` run in the kernel; an error in it fails the test with its traceback."""
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = self.loop.run_until_complete(
            self.kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=60))
        assert reply["content"]["status"] == "ok", "".join(out)
        return "".join(out)

    def json(self, code):
        """The value of the last line of ``code`` (printed as JSON by the kernel)."""
        lines = textwrap.dedent(code).strip().splitlines()
        body = "\n".join(lines[:-1])
        return json.loads(self.run(f"{body}\nimport json as _j\nprint(_j.dumps({lines[-1]}))"))

    def processes(self):
        """Host pids: [bwrap's init, the kernel, what else runs inside]."""
        return sandbox_processes(self.km.provisioner.pid)

    def close(self):
        self.kc.stop_channels()
        self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
        self.loop.close()


@pytest.fixture(scope="module", params=["cold", "warm"])
def box(request, tmp_path_factory):
    """Every kernel test runs on both ways grading starts a kernel: cold (bwrap around a fresh
    Python) and warm (forked by the slot's zygote into namespaces of its own, autograder.warm)."""
    folder = tmp_path_factory.mktemp("submission")
    (folder / "data.txt").write_text("the submission's own file\n")
    if request.param == "cold":
        with Sandbox(files=[folder / "data.txt"], limits=LIMITS) as opened:
            yield opened
        return
    zygote = Zygote(LIMITS).start()
    try:
        yield WarmSandbox(zygote.address(), files=[folder / "data.txt"], limits=LIMITS)
    finally:
        zygote.close()


@pytest.fixture(scope="module")
def kernel(box):
    started = Kernel(box)
    yield started
    started.close()


def _status(pid, field):
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return line.split()[1:]
    raise KeyError(field)


def test_kernel_is_an_unprivileged_user_inside_and_outside(kernel, box):
    """uid 1000 inside; outside, every process of the sandbox has a uid that is not root."""
    assert kernel.json("import os\n[os.getuid(), os.geteuid(), os.getgid()]") == [1000, 1000, 1000]
    pids = kernel.processes()
    assert len(pids) >= 2                                  # bwrap's init and the kernel
    for pid in pids:
        real, effective, saved, fs = map(int, _status(pid, "Uid"))
        assert 0 not in (real, effective, saved, fs), pid
        if os.geteuid() == 0:
            assert real == box.uid >= slots.UID_BASE     # the slot's own uid, not a shared one


def test_kernel_has_its_own_pid_namespace_with_init(kernel):
    """Inside, bwrap's init is pid 1 and the kernel pid 2; the host's processes are not there."""
    seen = kernel.json("import os\n[os.getpid(), sorted(int(p) for p in os.listdir('/proc') "
                       "if p.isdigit())[:2]]")
    assert seen[0] == 2 and seen[1] == [1, 2]
    assert kernel.json("import os\nos.path.exists(f'/proc/{os.getppid()}/cmdline') and "
                       "os.getppid()") == 1


def test_no_network_no_route_out_and_no_loopback_to_the_host(kernel):
    """UDP connect() to a non-loopback address: ENETUNREACH; TCP to the test's own 127.0.0.1
    listener: refused, and the listener sees no connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        seen = kernel.json(f"""
            import socket
            def attempt(kind, address):
                s = socket.socket(socket.AF_INET, kind)
                s.settimeout(2)
                try:
                    s.connect(address)
                    return 'connected'
                except OSError as error:
                    return error.errno
                finally:
                    s.close()
            [attempt(socket.SOCK_DGRAM, ('192.0.2.1', 9)), attempt(socket.SOCK_STREAM, ('127.0.0.1', {port}))]
            """)
        assert seen[0] == errno.ENETUNREACH
        assert seen[1] in (errno.ECONNREFUSED, errno.ENETUNREACH)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


def test_repository_course_and_home_are_invisible(kernel, tmp_path):
    """notebooks/, tests/, autograder/'s source, a course folder with its gradebook and $HOME
    do not exist inside; the working folder holds the submission's own file only."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "gradebook.db").write_text("grades")
    paths = [REPO / "notebooks", REPO / "tests", REPO / "autograder", REPO / "README.md",
             course / "gradebook.db", course, Path.home() / ".cache", "/etc/passwd", "/var"]
    seen = kernel.json(f"import os\n[os.path.exists(p) for p in {[str(p) for p in paths]!r}]")
    assert seen == [False] * len(paths)
    assert kernel.json("import os\n[os.getcwd(), os.path.expanduser('~'), sorted(f for f in "
                       "os.listdir() if not f.startswith('.'))]") == [HOME, HOME, ["data.txt"]]
    # a Python installed under $HOME is bound at its own path, alone: nothing else of $HOME
    home = Path.home()
    leading = sorted({Path(t).relative_to(home).parts[0] for t in bwrap._python_trees()
                      if Path(t).is_relative_to(home)})
    assert kernel.json(f"import os\nos.path.isdir({str(home)!r}) and sorted(os.listdir("
                       f"{str(home)!r}))") == (leading or False)


def test_helpers_are_the_only_part_of_autograder_shipped(kernel):
    """autograder inside is a read-only copy of autograder.kernel and nothing else."""
    seen = kernel.json("import autograder, os\n"
                       "top = autograder.__path__[0]\n"
                       "[top, sorted(os.listdir(top)), sorted(f for f in os.listdir(top + '/kernel') "
                       "if not f.startswith('__pycache__'))]")
    shipped = sorted(f for f in os.listdir(bwrap.kernel_package()) if f.endswith(".py"))
    assert seen == [bwrap.HELPERS + "/autograder", ["__init__.py", "kernel"], shipped]


def test_only_the_working_folder_tmp_and_the_sockets_are_writable(kernel, box):
    """Writes fail everywhere but the private working folder, /tmp, /dev/shm and the ipc folder."""
    targets = ["/usr/x", "/x", "/dev/x", bwrap.HELPERS + "/autograder/kernel/serve.py",
               os.path.join(os.path.dirname(sandbox.__file__), "x"),
               os.path.join(sys.prefix, "x"), os.path.join(sys.base_prefix, "x"),
               f"{HOME}/x", "/tmp/x", "/dev/shm/x"]
    seen = kernel.json(f"""
        def attempt(path):
            try:
                with open(path, 'a') as handle:
                    handle.write('x')
                return 'written'
            except OSError as error:
                return error.errno
        [attempt(p) for p in {targets!r}]
        """)
    assert seen[-3:] == ["written"] * 3
    for path, outcome in zip(targets[:-3], seen[:-3]):
        assert outcome in (errno.EROFS, errno.EACCES, errno.ENOENT), (path, outcome)
    # every writable mount but /proc, /dev/pts and the device nodes (/dev/null, /dev/zero...)
    writable = kernel.json("""
        import os, stat
        mounts = []
        for line in open('/proc/self/mountinfo'):
            fields = line.split()
            point, kind = fields[4], fields[fields.index('-') + 1]
            if ('rw' in fields[5].split(',') and kind not in ('proc', 'devpts')
                    and not stat.S_ISCHR(os.stat(point).st_mode)):
                mounts.append(point)
        sorted(mounts)
        """)
    ipc = os.path.dirname(kernel.km.connection_file)
    if isinstance(box, WarmSandbox):
        # the zygote's socket folder (root's, not writable) holds one sealed folder per kernel; a
        # warm kernel's fresh mounts lie over the zygote's (listed too, out of its reach)
        ipc = os.path.dirname(ipc)
        assert kernel.json(f"import os\nos.access({ipc!r}, os.W_OK)") is False
    assert sorted(set(writable)) == sorted([HOME, "/tmp", "/dev/shm", ipc])


def test_socket_folder_is_sealed_before_student_code_runs(kernel):
    """The kernel cannot add or swap anything in its socket folder (a symlink there would make the
    trusted worker connect to another socket of the host on a ZMQ reconnect)."""
    ipc = os.path.dirname(kernel.km.connection_file)
    seen = kernel.json(f"""
        import os
        results = []
        for make in (lambda p: os.symlink('/run/other.sock', p), lambda p: open(p, 'w'),
                     lambda p: os.rename({kernel.km.ip + '-' + str(kernel.km.shell_port)!r}, p)):
            try:
                make({ipc + '/planted'!r})
                results.append('done')
            except OSError as error:
                results.append(error.errno)
        results""")
    assert seen == [errno.EACCES] * 3
    assert sorted(os.listdir(ipc)) == sorted(
        ["kernel.json"] + [f"k-{port}" for port in (kernel.km.shell_port, kernel.km.iopub_port,
                                                    kernel.km.stdin_port, kernel.km.hb_port,
                                                    kernel.km.control_port)])


def test_cannot_signal_a_process_outside(kernel):
    """kill() of a host process (here a child of the test) fails: it does not exist inside."""
    outside = subprocess.Popen(["sleep", "60"])
    try:
        seen = kernel.json(f"""
            import os, signal
            try:
                os.kill({outside.pid}, signal.SIGKILL)
                result = 'sent'
            except OSError as error:
                result = error.errno
            result""")
        assert seen == errno.ESRCH
        assert outside.poll() is None
    finally:
        outside.kill()
        outside.wait()


def test_kernel_is_in_its_own_memory_and_pids_cgroups(kernel, box):
    """Outside: the kernel's cgroups are the sandbox's own, with the limits of this sandbox."""
    if os.geteuid() != 0:
        pytest.skip("cgroups are set only when grading runs as root")
    kernel_pid = kernel.processes()[1]
    groups = {}
    with open(f"/proc/{kernel_pid}/cgroup", encoding="utf-8") as handle:
        for line in handle:
            _, names, path = line.strip().split(":", 2)
            for name in names.split(","):
                groups[name] = path
    for controller, knob, value in (("memory", "memory.limit_in_bytes", LIMITS.memory_mb * MB),
                                    ("pids", "pids.max", LIMITS.processes)):
        assert f"autograder-{box.uid}-" in groups[controller]
        own = cgroups.own_cgroup(controller)
        folder = os.path.join(own, os.path.basename(groups[controller]))
        assert int(Path(folder, knob).read_text()) == value


def test_memory_is_bounded_per_process_and_in_total(kernel):
    """One process: MemoryError beyond the limit.  Three processes of 250 MB each (under the
    per-process limit, over the total): the memory cgroup kills one of them."""
    assert "MemoryError" in kernel.run(f"""
        try:
            block = bytearray({LIMITS.memory_mb + 100} * 2 ** 20)
        except MemoryError:
            print('MemoryError')
        """)
    if os.geteuid() != 0:
        return
    codes = kernel.json("""
        import subprocess, sys
        eat = "import time; b = b'x' * (250 * 2 ** 20); time.sleep(3)"
        children = [subprocess.Popen([sys.executable, '-c', eat]) for _ in range(3)]
        [child.wait() for child in children]""")
    assert -signal.SIGKILL in codes, codes


def test_threads_and_processes_are_bounded(kernel):
    """Starting 100 threads fails before the limit (48 processes + threads in the sandbox)."""
    started = kernel.json("""
        import threading
        gate = threading.Event()
        threads = []
        try:
            for _ in range(100):
                thread = threading.Thread(target=gate.wait)
                thread.start()
                threads.append(thread)
        except RuntimeError:
            pass
        gate.set()
        for thread in threads:
            thread.join()
        len(threads)""")
    assert 0 < started < LIMITS.processes


def test_file_size_disk_and_open_files_are_bounded(kernel):
    """A file larger than the disk limit: EFBIG; filling /tmp: ENOSPC; open files: EMFILE."""
    seen = kernel.json(f"""
        import errno, os
        def write(path, megabytes):
            try:
                with open(path, 'wb') as handle:
                    for _ in range(megabytes):
                        handle.write(b'x' * 2 ** 20)
                return 'written'
            except OSError as error:
                return error.errno
            finally:
                if os.path.exists(path):
                    os.remove(path)
        def fill(folder):
            try:
                for i in range(100):
                    with open(f'{{folder}}/{{i}}', 'wb') as handle:
                        handle.write(b'x' * (2 ** 20 - 4096))
                return 'written'
            except OSError as error:
                return error.errno
            finally:
                for name in os.listdir(folder):
                    if name.isdigit():
                        os.remove(os.path.join(folder, name))
        handles = []
        try:
            for _ in range(1000):
                handles.append(open('/dev/null'))
            opened = 'all'
        except OSError as error:
            opened = error.errno
        for handle in handles:
            handle.close()
        [write('/dev/shm/big', {LIMITS.disk_mb + 1}), fill('/tmp'), opened]""")
    assert seen == [errno.EFBIG, errno.ENOSPC, errno.EMFILE]


def test_cpu_time_is_bounded(box):
    """A process that spins is killed when it has used its CPU seconds (SIGXCPU or SIGKILL)."""
    tight = Sandbox(limits=Limits(memory_mb=512, processes=16, cpu_seconds=1, disk_mb=8))
    with tight:
        done = tight.run([sys.executable, "-c", "while True: pass"], timeout=60)
    assert done.returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL), done   # bwrap's 128+N


def test_everything_the_kernel_started_ends_with_it(box):
    """A process the kernel started in the background (its own session) is gone once the kernel
    has been shut down: bwrap's init takes the whole PID namespace with it."""
    kernel = Kernel(box)
    try:
        kernel.run("""
            import subprocess
            subprocess.Popen(['sleep', '300'], start_new_session=True)""")
        inside = kernel.processes()
        lingering = [pid for pid in inside[2:] if Path(f"/proc/{pid}/cmdline").read_bytes()
                     .startswith(b"sleep")]
        assert lingering, inside
    finally:
        kernel.close()
    for pid in lingering:
        for _ in range(100):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                break
            if state == "Z":         # dead, waiting for the host's init to reap it
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"process {pid} started by the kernel still runs after it ended")


def test_cgroups_and_staging_are_removed_after_the_sandbox(tmp_path):
    """A process's cgroups are gone once it has ended; the sandbox's folder once it is closed."""
    with Sandbox(limits=LIMITS) as short:
        assert short.run([sys.executable, "-c", "print('hi')"]).stdout == "hi\n"
        own = [cgroups.own_cgroup(c) for c in ("memory", "pids")] if os.geteuid() == 0 else []
        for parent in filter(None, own):      # checked while the slot is still ours
            assert not [p for p in os.listdir(parent) if p.startswith(f"autograder-{short.uid}-")]
        folder = short._dir
    assert not os.path.exists(folder)


# ---------------------------------------------------------------- through the grading pipeline
PROBE = ("import os, socket\n"
         "print(os.getuid(), socket.gethostname(), os.getcwd(), sorted(os.listdir('.')))")


def _probe_submission(course):
    source = nbformat.read(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    from autograder.tools.sample_class import make_submission
    release = nbformat.read(course.release_path(ASSIGNMENT), 4)
    nb = make_submission("perfect", source, release)
    nb.cells.insert(2, nbformat.v4.new_code_cell(PROBE))
    return nb


@pytest.fixture(scope="module")
def probe_courses(tmp_path_factory):
    """The same probing submission graded with, then without the sandbox:
    {sandboxed: (course, result, summary text, what the probe cell printed)}."""
    root = tmp_path_factory.mktemp("probe") / "course"
    inbox = tmp_path_factory.mktemp("probe_inbox")
    graded = {}
    for sandboxed in (True, False):
        course = Course(root, DATA, cell_timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT,
                        sandbox=sandboxed)
        if sandboxed:
            build(course)
            write_submission(inbox, "probe", _probe_submission(course))
            collect(course, inbox)
        result = autograde(course, workers=1, force=True, progress=False)[0]
        notebook = nbformat.read(result.autograded, 4)
        graded[sandboxed] = (course, result, render(rows(course)),
                             notebook.cells[2].outputs[0]["text"])
    return graded


def test_grading_runs_the_kernel_in_the_sandbox(probe_courses):
    """autograde (sandbox on by default): the notebook ran as uid 1000 on host 'sandbox' in the
    private working folder holding only the submission; full marks as usual."""
    course, result, summary, printed = probe_courses[True]
    assert (result.status, result.score, result.sandboxed) == ("graded", 5.0, True)
    assert printed.startswith(f"1000 sandbox {HOME} ")
    assert f"'{ASSIGNMENT}.ipynb'" in printed and "gradebook" not in printed
    assert sorted(p.name for p in Path(result.autograded).parent.iterdir()) == [
        f"{ASSIGNMENT}.ipynb"]                      # only the validated notebook is taken back
    assert "WITHOUT" not in summary


def test_no_sandbox_marks_every_result_in_the_csv_and_the_summary(probe_courses, tmp_path):
    """--no-sandbox: same score, and the reason says UNSANDBOXED in the CSV and the summary."""
    course, result, summary, printed = probe_courses[False]
    assert not printed.startswith("1000 sandbox")
    assert (result.score, result.sandboxed) == (5.0, False)
    assert result.reason.startswith(UNSANDBOXED)
    with open(export(course, tmp_path / "grades.csv"), newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["reason"].startswith("UNSANDBOXED")
    assert "1 of 1 results were graded WITHOUT the sandbox" in summary
    assert f"probe / fx_basics: {UNSANDBOXED}" in summary


def test_autograde_refuses_when_the_sandbox_cannot_start(probe_courses, monkeypatch):
    """No bwrap on this machine: autograde refuses, saying why and how to fix; nothing graded."""
    course = probe_courses[True][0]
    monkeypatch.setattr(sandbox_check, "BWRAP", "bwrap-not-installed-here")
    monkeypatch.setattr(bwrap, "BWRAP", "bwrap-not-installed-here")
    monkeypatch.setattr(sandbox_check, "_available", None)
    with pytest.raises(CourseError, match="bubblewrap .* not installed.*apt-get install bubblewrap"):
        autograde(course, workers=1, force=True, progress=False)
    monkeypatch.setattr(sandbox_check, "_available", None)


KILLED_WORKER = """
import subprocess, sys, time
from autograder.jobs import Limits
from autograder.sandbox import Sandbox
box = Sandbox(limits=Limits(memory_mb=256, processes=16, disk_mb=8)).open()
launch = box.prepare(["sleep", "600"])
bwrap = subprocess.Popen(launch.argv, start_new_session=True, **launch.popen_kwargs)
launch.started()
print(box.uid, box._dir, bwrap.pid, flush=True)
time.sleep(600)
"""


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_what_a_killed_worker_leaves_is_removed(tmp_path):
    """A worker SIGKILLed mid-kernel: its sandbox dies with it (--die-with-parent); its cgroups
    and folder are removed by remove_stale (autograde calls it after every batch)."""
    if os.geteuid() != 0:
        pytest.skip("slots, cgroups and their clean-up exist only when grading runs as root")
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER], stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    uid, folder, bwrap = worker.stdout.readline().split()
    for _ in range(100):
        inside = [int(bwrap)] + sandbox_processes(int(bwrap))
        if len(inside) >= 3:                  # bwrap, its init, sleep
            break
        time.sleep(0.05)
    left = [os.path.join(cgroups.own_cgroup(c), f"autograder-{uid}-1") for c in ("memory", "pids")]
    assert all(os.path.isdir(path) for path in left) and os.path.isdir(folder)
    worker.kill()
    worker.wait()
    worker.stdout.close()
    for _ in range(100):        # the sandbox's processes die with their parent
        if not any(map(_alive, inside)):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"sandbox processes {inside} outlived their worker")
    slots.remove_stale()      # (another worker taking the same slot would have removed them too)
    assert not any(os.path.exists(path) for path in left + [folder])


def test_sandbox_check_says_what_is_enforced(capsys):
    """`python -m autograder sandbox-check`: exit 0 here, naming the uid, the network and limits."""
    from autograder.cli import main
    assert main(["sandbox-check"]) == 0
    out = capsys.readouterr().out
    assert "network inside: Network is unreachable" in out and "1000 inside" in out
    assert "warm kernels: yes" in out and "sandbox: OK" in out


def test_sandbox_check_says_when_kernels_start_cold(capsys, monkeypatch):
    """Where no zygote can start (no nested user namespaces), sandbox-check says so and why, and
    the sandbox itself is still OK (grading starts each kernel cold in it)."""
    from autograder.cli import main

    def refuse(self):
        raise sandbox.SandboxUnavailable("nested user namespaces refused (test)")
    monkeypatch.setattr(Zygote, "start", refuse)
    assert main(["sandbox-check"]) == 0
    out = capsys.readouterr().out
    assert "warm kernels: no, each kernel starts cold (nested user namespaces refused (test))" in out
    assert "sandbox: OK" in out


def test_no_sandbox_flag_warns_and_reaches_the_course(capsys, tmp_path):
    """`autograde --no-sandbox` prints a warning and gives a Course that grades unsandboxed."""
    from autograder.cli import _course, build_parser
    args = build_parser().parse_args(["autograde", "--no-sandbox", "--course", str(tmp_path)])
    assert _course(args, create=True).sandbox is False
    assert "WARNING: --no-sandbox" in capsys.readouterr().err
    args = build_parser().parse_args(["autograde", "--course", str(tmp_path)])
    assert _course(args, create=True).sandbox is True


# ------------------------------------------------------------------ warm kernels (autograder.sandbox.warm)
@pytest.fixture(scope="module")
def zygote():
    started = Zygote(LIMITS).start()
    yield started
    started.close()


def _warm(zygote, tmp_path, text):
    (tmp_path / "data.txt").write_text(text)
    return Kernel(WarmSandbox(zygote.address(), files=[tmp_path / "data.txt"], limits=LIMITS))


def test_a_warm_kernel_finds_nothing_an_earlier_one_left(zygote, tmp_path_factory):
    """Two submissions in a row from one zygote: the second sees only its own files -- no file the
    first wrote in its working folder, /tmp or /dev/shm, no process it left running, and the
    zygote's processes are what they were before."""
    before = set(sandbox_processes(zygote.process.pid))
    first = _warm(zygote, tmp_path_factory.mktemp("a"), "first student\n")
    try:
        first.run("""
            import subprocess
            for folder in ('.', '/tmp', '/dev/shm'):
                open(folder + '/left-behind', 'w').write('planted')
            subprocess.Popen(['sleep', '300'], start_new_session=True)""")
    finally:
        first.close()
    second = _warm(zygote, tmp_path_factory.mktemp("b"), "second student\n")
    try:
        seen = second.json("""
            import os
            left = [os.path.exists(f + '/left-behind') for f in ('.', '/tmp', '/dev/shm')]
            pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
            [open('data.txt').read(), sorted(os.listdir('.')), left, pids]""")
        assert seen[0] == "second student\n"
        assert "left-behind" not in seen[1] and seen[2] == [False, False, False]
        assert seen[3] == [1, 2]                       # its init and itself, nothing else
    finally:
        second.close()
    for _ in range(100):
        if set(sandbox_processes(zygote.process.pid)) == before:
            break
        time.sleep(0.05)
    assert set(sandbox_processes(zygote.process.pid)) == before


def test_a_warm_kernel_has_no_capability_and_no_namespace_of_its_own(zygote, tmp_path):
    """Forked from a process that may create namespaces, the kernel itself may not: no capability
    left, no_new_privs set, and `unshare` refused (so it cannot remount its way out)."""
    kernel = _warm(zygote, tmp_path, "x\n")
    try:
        status = kernel.json("""
            fields = dict(line.split(':', 1) for line in open('/proc/self/status'))
            {k: fields[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd', 'NoNewPrivs')}""")
        assert status == {"CapEff": "0" * 16, "CapPrm": "0" * 16, "CapBnd": "0" * 16,
                          "NoNewPrivs": "1"}
        refused = kernel.json("""
            import subprocess
            flags = ('-U', '-m', '-n', '-p')
            [subprocess.run(['unshare', flag, 'true'], capture_output=True).returncode for flag in flags]""")
        assert all(code != 0 for code in refused), refused
    finally:
        kernel.close()


def _sockets(pid):
    """Inodes of the sockets process ``pid`` holds open."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target)
    return found


def test_a_warm_kernel_cannot_reach_the_zygote(zygote, tmp_path):
    """The zygote's control socket is not in the kernel's file system, and the kernel holds none
    of the zygote's or its keeper's sockets (closed before the fork)."""
    kernel = _warm(zygote, tmp_path, "x\n")
    try:
        assert not kernel.json(f"import os\nos.path.exists({zygote.socket_path!r})")
        inits = bwrap.children(zygote.process.pid)                 # bwrap's init
        zygotes = [pid for init in inits for pid in bwrap.children(init)]
        keeper = kernel.km.provisioner.pid
        assert keeper in [pid for z in zygotes for pid in bwrap.children(z)]
        trusted = set()
        for pid in inits + zygotes + [keeper]:
            trusted |= _sockets(pid)
        assert trusted                                             # the listener, the connection
        for pid in kernel.processes():                             # its init, the kernel
            assert not _sockets(pid) & trusted, pid
    finally:
        kernel.close()


class _SpyGrader(LocalProcessGrader):
    """The local grader, noting which zygote each job was given (None: a cold kernel)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zygotes = []

    def _run_in_slot(self, job, spec):
        self.zygotes.append(spec.get("zygote"))
        return super()._run_in_slot(job, spec)


def test_grading_forks_warm_kernels_and_falls_back_to_cold_ones(probe_courses, monkeypatch, caplog):
    """autograde gives each job its slot's zygote; where a zygote cannot start, the slot's kernels
    start cold -- still sandboxed, same grade -- and the log says why."""
    course = probe_courses[True][0]
    course.sandbox = True
    warm = _SpyGrader(1)
    result = autograde(course, force=True, progress=False, grader=warm)[0]
    assert warm.zygotes and all(z and z["socket"] for z in warm.zygotes)
    assert (result.status, result.score, result.sandboxed) == ("graded", 5.0, True)

    def refuse(self):
        raise sandbox.SandboxUnavailable("no nested user namespaces here (test)")
    monkeypatch.setattr(Zygote, "start", refuse)
    cold = _SpyGrader(1)
    result = autograde(course, force=True, progress=False, grader=cold)[0]
    assert cold.zygotes == [None]
    assert (result.status, result.score, result.sandboxed) == ("graded", 5.0, True)
    assert nbformat.read(result.autograded, 4).cells[2].outputs[0]["text"].startswith(
        f"1000 sandbox {HOME} ")
    assert "warm kernels unavailable, starting each kernel cold: no nested user namespaces" \
        in caplog.text


def _zygote_pid(zygote):
    """Host pid of the zygote's Python (the child of bwrap's init)."""
    (init,) = bwrap.children(zygote.process.pid)
    (pid,) = bwrap.children(init)
    return pid


def _memory_holds(pid, *needles):
    """Whether any readable mapping of process ``pid`` contains one of ``needles`` (read as root,
    from outside: the searching process's own copy of the needles is not in that memory)."""
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps, \
            open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or fields[-1] in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            low, high = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(low)
                chunk = mem.read(high - low)
            except (OSError, ValueError, OverflowError):
                continue
            if any(needle in chunk for needle in needles):
                return True
    return False


def test_the_zygote_never_holds_a_students_work(zygote, tmp_path):
    """Every later kernel is a fork of the zygote, so what it once held, they all inherit: the
    submission's files go to the kernel's keeper after the fork, never through the zygote."""
    if os.geteuid() != 0:
        pytest.skip("reading another process's memory needs root")
    secret = f"answer-of-student-a-{os.urandom(8).hex()}".encode()
    kernel = _warm(zygote, tmp_path, secret.decode())
    try:
        kept = kernel.run("held = open('data.txt', 'rb').read()\nprint(len(held))")
        assert kept.strip() == str(len(secret))
        assert _memory_holds(kernel.processes()[1], secret)       # the search finds what is there
    finally:
        kernel.close()
    assert not _memory_holds(_zygote_pid(zygote), secret, secret.hex().encode())


def test_a_warm_kernel_cannot_stop_the_zygote(zygote, tmp_path_factory):
    """kill(0, SIGSTOP) reaches the sender's process group: the kernel's own session, never the
    zygote's, so the next submission still gets a kernel."""
    first = _warm(zygote, tmp_path_factory.mktemp("a"), "x\n")
    try:
        first.run("import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 0.3; kill -STOP 0'])")
        time.sleep(1.5)
        state = Path(f"/proc/{_zygote_pid(zygote)}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert state != "T"
        stopped = Path(f"/proc/{first.processes()[1]}/stat").read_text().rsplit(")", 1)[1].split()[0]
        assert stopped == "T"                           # it did stop itself
    finally:
        first.close()
    second = _warm(zygote, tmp_path_factory.mktemp("b"), "x\n")
    try:
        assert second.run("print(6 * 7)").strip() == "42"
    finally:
        second.close()


def test_a_warm_kernel_gets_the_graders_environment_and_its_own_random_state(zygote, tmp_path,
                                                                              monkeypatch):
    """As a cold kernel: NBGRADER_EXECUTION from the worker (nnlib's widgets then stay quiet), a
    numpy random state of its own, loopback up, SIGPIPE ignored as Python leaves it."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    draws = []
    for _ in range(2):
        kernel = _warm(zygote, tmp_path, "x\n")
        try:
            seen = kernel.json("""
                import os, signal, socket, numpy
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
                socket.create_connection(s.getsockname(), timeout=5).close(); s.close()
                [os.environ.get('NBGRADER_EXECUTION'), numpy.random.rand(), signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN]""")
        finally:
            kernel.close()
        assert seen[0] == "autograde" and seen[2] is True
        draws.append(seen[1])
    assert draws[0] != draws[1]


def _in_new_kernel(box, code):
    """What ``code``'s last line is, in a kernel started for it and stopped after."""
    kernel = Kernel(box)
    try:
        return kernel.json(code)
    finally:
        kernel.close()


KEYS = """import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
SESSION, USER, SEARCH = -3, -4, 10
"""


def test_a_kernel_cannot_pass_keys_to_a_later_one(box):
    """The kernel keyrings: what one kernel adds to its session or user keyring, a later kernel
    (another student) cannot find: keyrings belong to the user namespace they were made in, and
    each kernel has its own."""
    if os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("keyctl's number is known here for x86_64 and aarch64 only")
    added = _in_new_kernel(box, KEYS + "added = [libc.syscall(ADD_KEY, b'user', b'note-to-next', "
                           "b'answers', 7, ring) for ring in (SESSION, USER)]\nadded")
    assert all(key > 0 for key in added)        # it could add them: the search below means something
    found = _in_new_kernel(box, KEYS + "found = [libc.syscall(KEYCTL, SEARCH, ring, b'user', "
                           "b'note-to-next', 0) for ring in (SESSION, USER)]\nfound")
    assert found == [-1, -1]
