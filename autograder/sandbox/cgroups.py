"""Memory and pids cgroups (v1) for a sandboxed process: made before it starts, killed and removed
after it ends.  Only when grading runs as root and the controller's folder is ours to write."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def own_cgroup(controller):
    """Our own folder of a cgroup v1 ``controller`` ("memory", "pids"), if we can write it, else None."""
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


def parents():
    """The memory and pids cgroup folders new cgroups are made in (those we may write)."""
    return [p for p in (own_cgroup("memory"), own_cgroup("pids")) if p]


def make_cgroups(parent_paths, name, limits):
    """Cgroups ``name`` under each of ``parent_paths`` (memory, pids) bounded by ``limits``: paths."""
    made = []
    for parent in parent_paths:
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


def join(paths, pid):
    """Put process ``pid`` into each cgroup of ``paths``."""
    for path in paths:
        with open(os.path.join(path, "cgroup.procs"), "w", encoding="ascii") as handle:
            handle.write(str(pid))


def kill_cgroup(path, wait=5.0):
    """SIGKILL everything in a cgroup and remove it (no-op when gone): whether it is gone."""
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
