"""Real servers the grading tests start themselves: a Dask cluster and a PostgreSQL server.

Both listen on 127.0.0.1 (or a Unix socket) only, are started as subprocesses in their own
sessions, and are stopped -- with everything they started -- by ``stop()``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes_marked(marker):
    """pids of the processes whose environment carries ``marker`` (everything a server started)."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _alive(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _stop(processes, marker, grace=30, how=signal.SIGTERM):
    """``how``, then SIGKILL, to every process group we started; return what was left over."""
    for process in processes:
        if process.poll() is None:
            try:
                os.killpg(process.pid, how)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    left = []
    while time.monotonic() < deadline and _processes_marked(marker):
        time.sleep(0.2)
    for pid in _processes_marked(marker):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            left.append(f"{pid}: {command[:200]}")
        except OSError:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for process in processes:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass
    return left


class DaskCluster:
    """``dask scheduler`` and ``workers`` × ``dask worker --nthreads 1`` on 127.0.0.1.

    Workers run under a nanny (a killed worker is restarted, as in production) as non-daemonic
    processes, so each job is forked from a preloaded forkserver; ``allowed_failures`` is the
    scheduler's ``distributed.scheduler.allowed-failures``.
    """

    def __init__(self, folder, workers=2, allowed_failures=1, timeout=120):
        self.folder = Path(folder)
        self.marker = f"AUTOGRADER_TEST_SERVER={uuid.uuid4().hex}"
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        name, value = self.marker.split("=")
        env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False",
                   DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=str(allowed_failures),
                   # a job goes to a worker only when a thread is free for it (as the README says)
                   DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0",
                   **{name: value})
        self.processes = []
        self.logs = []
        self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"], env)
        for i in range(workers):
            self._start(f"worker{i}", [str(BIN / "dask"), "worker", self.address,
                                       "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                                       "--memory-limit", "0", "--no-dashboard", "--name", f"w{i}",
                                       "--local-directory", str(self.folder / f"w{i}")], env)
        try:
            with self.client() as client:       # also waits for the scheduler to listen
                if workers:
                    client.wait_for_workers(workers, timeout=timeout)
        except Exception:
            self.stop()
            raise RuntimeError(f"the Dask cluster did not start: {self.log_tail()}")

    def _start(self, name, argv, env):
        log = open(self.folder / f"{name}.log", "w")
        self.logs.append(self.folder / f"{name}.log")
        self.processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True))
        log.close()

    def client(self):
        from distributed import Client
        return Client(self.address, timeout=60, set_as_default=False)

    def worker_pids(self):
        """{worker address: pid of the worker process (not its nanny)}."""
        with self.client() as client:
            return client.run(os.getpid)

    def scheduler_pid(self):
        """pid of the ``dask scheduler`` process."""
        return self.processes[0].pid

    def kill_scheduler(self, timeout=30):
        """SIGKILL the scheduler (its workers stay, trying to reconnect); wait until it is gone."""
        self.processes[0].kill()
        self.processes[0].wait(timeout)

    def kill_workers(self, timeout=30):
        """SIGKILL every worker with its nanny (whole process groups: nothing restarts them);
        wait until they are gone; their pids."""
        killed = []
        for process in self.processes[1:]:
            killed += [pid for pid in _processes_marked(self.marker) if _pgid(pid) == process.pid]
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for process in self.processes[1:]:
            process.wait(timeout)
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in killed) and time.monotonic() < deadline:
            time.sleep(0.1)
        return killed

    def log_tail(self, lines=15):
        return "\n".join(f"--- {p.name}\n" + "\n".join(p.read_text().splitlines()[-lines:])
                         for p in self.logs if p.exists())

    def stop(self, grace=30):
        """Stop the workers, then the scheduler; the pids of processes that had to be killed after.

        Workers first: a nanny that is restarting a killed worker waits for the new worker to
        register, which it cannot do once the scheduler is gone (it retries for ever), and the
        nanny's close waits for that start.
        """
        workers = self.processes[1:]
        for process in workers:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        return _stop(self.processes, self.marker, grace=grace)


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def postgres_bindir():
    """Folder of Debian's PostgreSQL server programs (initdb, pg_ctl), newest version, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throw-away PostgreSQL server: ``initdb`` in a temporary folder as an unprivileged user.

    initdb and postgres refuse to run as root, so when the tests run as root both run as
    ``nobody`` (via ``runuser``) and the data folder belongs to it.  The server listens on a Unix
    socket in its own folder only (no TCP at all); trust authentication for the superuser
    ``postgres``, since only this machine's users can reach the socket.
    """

    def __init__(self, bindir, timeout=60):
        self.bindir = Path(bindir)
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
        self.data, self.socket_dir = self.folder / "data", self.folder / "socket"
        self.socket_dir.mkdir()
        self.marker = f"AUTOGRADER_TEST_SERVER={uuid.uuid4().hex}"
        self.processes = []
        self.as_user = []
        if os.geteuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chmod(self.folder, 0o755)
            os.chown(self.socket_dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
            self.data.mkdir(mode=0o700)
            os.chown(self.data, nobody.pw_uid, nobody.pw_gid)
        name, value = self.marker.split("=")
        self.env = dict(os.environ, LC_ALL="C", **{name: value})
        self.env.pop("PGDATA", None)
        self._run([self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8"], timeout=timeout)
        self.start(timeout)

    def start(self, timeout=60):
        """Start the server on its data folder (again, after :meth:`halt`)."""
        log = open(self.folder / "server.log", "a")
        self.processes.append(subprocess.Popen(
            self.as_user + [str(self.bindir / "postgres"), "-D", str(self.data),
                            "-k", str(self.socket_dir), "-c", "listen_addresses=",
                            "-c", "fsync=off", "-c", "max_connections=50"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True))
        log.close()
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.processes[-1].poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "server.log").read_text()[-1500:]
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start: {tail}")
            time.sleep(0.2)

    def halt(self, timeout=60):
        """Stop the server as an administrator would (fast shutdown: running sessions end, the
        data stay); :meth:`start` starts it again."""
        server = self.processes[-1]
        os.killpg(server.pid, signal.SIGINT)       # runuser passes nothing on: the whole group
        server.wait(timeout)

    def _run(self, argv, timeout=60):
        done = subprocess.run(self.as_user + [str(a) for a in argv], env=self.env, timeout=timeout,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed: {done.stdout[-800:]} "
                               f"{done.stderr[-800:]}")
        return done.stdout

    def _ready(self):
        return subprocess.run([str(self.bindir / "pg_isready"), "-h", str(self.socket_dir), "-q"],
                              env=self.env, timeout=30).returncode == 0

    def create_database(self, name):
        """A new empty database; its SQLAlchemy URL (psycopg2, over the Unix socket)."""
        self._run([self.bindir.parent / "bin" / "createdb", "-h", self.socket_dir, "-U", "postgres",
                   name])
        return f"postgresql://postgres@/{name}?host={self.socket_dir}"

    def stop(self):
        left = _stop(self.processes, self.marker, how=signal.SIGINT)    # "fast" shutdown
        shutil.rmtree(self.folder, ignore_errors=True)
        return left
