"""``sandbox-check`` and ``make setup``: can this machine run student kernels in the sandbox, and what
is enforced there.  Checked by starting a real sandboxed Python, never assumed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from autograder.apt import install_debian_package
from autograder.sandbox.bwrap import BWRAP, HOW_TO_INSTALL, Sandbox, SandboxUnavailable
from autograder.sandbox.cgroups import own_cgroup
from autograder.sandbox.slots import UID_BASE

HOW_TO_USERNS = ("allow unprivileged user namespaces: `sysctl -w user.max_user_namespaces=15000`, on "
                 "Debian <= 10 also `sysctl -w kernel.unprivileged_userns_clone=1`, on Ubuntu >= 23.10 "
                 "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; in a container, run it "
                 "with user namespaces allowed (e.g. docker --security-opt seccomp=unconfined)")


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
    cgroups = [c for c in ("memory", "pids") if box.privileged and own_cgroup(c)]
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
