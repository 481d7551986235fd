"""``python -m autograder.worker JOB.json``: grade the job in this process (autograder.worker.job)."""

import sys

from autograder.worker.job import main

sys.exit(main())
