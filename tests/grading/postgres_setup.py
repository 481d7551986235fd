"""Give the PostgreSQL gradebook test a server: ``python -m tests.grading.postgres_setup``.

The test starts its own throw-away server from Debian's ``postgresql`` package (initdb in a
temporary folder).  This finds the package's programs and, when they are missing and we may install
packages (root with apt-get, as in CI), installs it with ``apt-get install -y postgresql``.

Outcomes: the server programs found (or installed): exit 0.  Missing and not installable: print
why and exit 0, so the test *skips* with the same message -- except under ``CI=true``, where a
missing PostgreSQL is a failure (exit 1), never a skip.
"""

import sys

from autograder.apt import ensure, setup_exit_status

from .servers import postgres_bindir

LOG = "tests/grading/postgres_setup"

MISSING = ("the PostgreSQL gradebook test needs Debian's postgresql package (initdb, postgres) and "
           "found none under /usr/lib/postgresql/*/bin or on PATH.  Install it as root: "
           "`apt-get update && apt-get install -y postgresql` (the test starts its own server; "
           "none needs to be running)")


def ensure_postgres():
    """(bindir or None, message): find the server programs, installing them when possible."""
    bindir, missing = ensure("postgresql", postgres_bindir, MISSING, LOG)
    return bindir, missing or f"using PostgreSQL's programs in {bindir}"


def main():
    return setup_exit_status(LOG, *ensure_postgres(), skipped="the PostgreSQL test will be skipped")


if __name__ == "__main__":
    sys.exit(main())
