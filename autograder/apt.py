"""Install one of Debian's packages when it is missing and we may: root, with apt-get.

The project's own files install every system package it needs (bubblewrap for the sandbox, chromium
for the browser tests, postgresql for the gradebook tests), so a clean machine or CI needs nothing
installed by hand; where that is impossible the caller says so and how to fix it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def install_debian_package(package):
    """``apt-get update && apt-get install -y PACKAGE`` when root with apt-get: (ok, explanation)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False, f"not root, so Debian's {package} package cannot be installed here"
    if shutil.which("apt-get") is None:
        return False, f"no apt-get on this system, so Debian's {package} package cannot be installed here"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
        print("+", " ".join(command), flush=True)
        if subprocess.run(command, env=env).returncode != 0:
            return False, f"`{' '.join(command)}` failed (see its output above)"
    return True, f"installed Debian's {package} package"


def ensure(package, find, missing, log):
    """``find()`` what Debian's ``package`` provides, installing the package when it is missing and
    we may: (what ``find`` returned or None, the message to print -- ``missing`` when None)."""
    found = find()
    if found is None:
        ok, why = install_debian_package(package)
        print(f"{log}: {why}", flush=True)
        found = find() if ok else None
    return found, (missing if found is None else None)


def setup_exit_status(log, found, message, skipped):
    """Print a test setup's outcome; its exit status: 1 only when it is missing under ``CI=true``
    (there a missing dependency fails the run instead of skipping tests), else 0."""
    print(f"{log}: {message}", flush=True)
    if found is not None:
        return 0
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        print(f"{log}: CI=true, so this is a failure", file=sys.stderr)
        return 1
    print(f"{log}: {skipped}", flush=True)
    return 0
