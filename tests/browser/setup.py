"""Give the browser suite a browser: ``python -m tests.browser.setup`` (the first step of ``make test-browser``).

Playwright cannot download its own browsers here (``playwright install`` needs a CDN nobody can
reach), so the suite drives Debian's Chromium package through Playwright's ``executable_path``.
This module finds that Chromium and, when it is missing and we may install packages (root with
apt-get, as in CI), installs it with ``apt-get install -y chromium``.

Outcomes:
- Chromium found (or installed): print its version, exit 0.
- Chromium missing and not installable: print why; exit 0 so the suite runs and *skips* with the same
  message -- except when ``CI=true``, where a missing browser is a failure (exit 1) and never a skip.

``BROWSER_TESTS_CHROMIUM=/path/to/chromium`` points the suite at another Chromium build.
"""
import os
import subprocess
import sys

from autograder.apt import ensure, setup_exit_status

LOG = "tests/browser/setup"

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
OVERRIDE_VARIABLE = "BROWSER_TESTS_CHROMIUM"


def in_ci():
    """True when the CI variable says so: there a missing browser must fail, not skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def find_chromium():
    """Path of a Chromium executable, or None.

    >>> find_chromium() is None or os.access(find_chromium(), os.X_OK)
    True
    """
    override = os.environ.get(OVERRIDE_VARIABLE)
    if override:
        return override if os.access(override, os.X_OK) else None
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


def chromium_version(path):
    """The browser's own version line, or None if it does not start (e.g. missing libraries)."""
    try:
        # The Debian wrapper script prints harmless shell noise on stderr; only stdout matters.
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def missing_browser_message():
    """What the skip (or, under CI, the failure) says when there is no usable Chromium."""
    return (
        "browser tests need Chromium and none was found at "
        + " or ".join(CANDIDATES)
        + f" (or ${OVERRIDE_VARIABLE}). Install Debian's package as root: "
        "`apt-get update && apt-get install -y chromium` (Playwright's own browser download is not used)."
    )


def ensure_chromium():
    """Return (path or None, message): find Chromium, installing it when possible."""
    if os.environ.get(OVERRIDE_VARIABLE):       # a build of the user's own: never apt-get over it
        path, missing = find_chromium(), missing_browser_message()
    else:
        path, missing = ensure("chromium", find_chromium, missing_browser_message(), LOG)
    if path is None:
        return None, missing
    version = chromium_version(path)
    if version is None:
        return None, f"{path} exists but `{path} --version` fails: the browser cannot start on this system"
    return path, f"using {version} at {path}"


def main():
    return setup_exit_status(LOG, *ensure_chromium(), skipped="the browser tests will be skipped")


if __name__ == "__main__":
    sys.exit(main())
