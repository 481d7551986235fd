"""Grading slots: as root, each sandbox runs as a uid of its own, held by a lock for as long as its
process lives, so two kernels never share a uid and what a killed worker left is found again."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile

from autograder.sandbox.cgroups import kill_cgroup, parents

# Sandbox uids (as root): one per grading slot, far above any uid /etc/passwd or subuid ranges hand out.
UID_BASE = int(os.environ.get("AUTOGRADER_SANDBOX_UID_BASE", "2000000000"))
SLOTS = 1024


class NoFreeSlot(Exception):
    """Every sandbox uid is held by a live process."""


def lock_slot(uid):
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


def take_slot():
    """(uid, fd): a free sandbox uid, locked for this process's lifetime (released when it exits,
    even killed)."""
    for slot in range(SLOTS):
        fd = lock_slot(UID_BASE + slot)
        if fd is not None:
            return UID_BASE + slot, fd
    raise NoFreeSlot(f"all {SLOTS} sandbox slots are in use")


def cgroup_name(uid, suffix):
    """The cgroup of one sandboxed process of slot ``uid`` (found again by :func:`remove_stale`)."""
    return f"autograder-{uid}-{suffix}"


def folder_prefix(uid):
    """The temporary folder prefix of slot ``uid``'s sandboxes (found again by remove_stale)."""
    return f"agsandbox-{uid}-"


def zygote_prefix(uid):
    """The prefix of the control folder of slot ``uid``'s zygote (autograder.sandbox.warm)."""
    return f"agzygote-{uid}-"


def remove_stale():
    """Remove the cgroups and folders (sandboxes', zygotes') that killed workers left, of slots no
    live process holds; their processes died with them (bwrap's --die-with-parent).  Returns how
    many were removed."""
    if os.geteuid() != 0:
        return 0
    found = {}
    for pattern in [os.path.join(p, "autograder-*-*") for p in parents()] + [
            os.path.join(tempfile.gettempdir(), "agsandbox-*-*"),
            os.path.join(tempfile.gettempdir(), "agzygote-*-*")]:
        for path in glob.glob(pattern):
            uid = os.path.basename(path).split("-")[1]
            if uid.isdigit() and UID_BASE <= int(uid) < UID_BASE + SLOTS:
                found.setdefault(int(uid), []).append(path)
    removed = 0
    for uid, paths in found.items():
        fd = lock_slot(uid)
        if fd is None:            # a worker is using this slot right now
            continue
        try:
            for path in paths:
                if path.startswith("/sys/"):
                    removed += kill_cgroup(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        finally:
            os.close(fd)
    return removed
