"""Install one of Debian's packages when it is missing and we may: root, with apt-get.

The project's own files install every system package it needs (bubblewrap for the sandbox, chromium
for the browser tests, postgresql for the gradebook tests), so a clean machine or CI needs nothing
installed by hand; where that is impossible the caller says so and how to fix it.
"""

from __future__ import annotations

import os
import shutil
import subprocess


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
