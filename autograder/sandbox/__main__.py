"""``python -m autograder.sandbox`` (``make setup``): install bubblewrap when missing and possible,
then say whether sandboxed grading works here (autograder.sandbox.check.main)."""

import sys

from autograder.sandbox.check import main

sys.exit(main())
