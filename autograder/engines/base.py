"""Where submissions are graded: a ``Grader`` runs jobs and hands back results.

A job is a self-contained folder (the job-folder protocol): ``source/<a>/<a>.ipynb``,
``submitted/<s>/<a>/`` (the submission's files), ``gradebook.db`` (a snapshot holding only the
assignment's definitions) and ``job.json`` (autograder.jobs.Job.spec); grading it writes
``result.json`` (autograder.jobs.Result) and ``autograded/<s>/<a>/<a>.ipynb`` into it.  So an engine
only has to "run ``python -m autograder.worker job.json`` somewhere and bring the folder back":
``engines.local`` does it in local processes, ``engines.cluster`` on a Dask cluster; a grader for
other machines (ssh/rsync, a batch queue) implements the same ``grade`` method.  Results are passed
to ``on_result`` in the calling thread, one at a time, so the caller is the only writer of the
course gradebook.  An engine that cannot go on raises :class:`EngineStopped` (one line for the
user); what it recorded stays recorded.
"""

from __future__ import annotations

import abc


class EngineStopped(Exception):
    """The engine cannot go on (its cluster's scheduler is gone, no worker is left, ...).

    The results it recorded so far (through ``on_result``) stay; the jobs it had not finished are
    not recorded at all, so the next ``autograde`` grades exactly those.  Its message is one line
    for the user (the CLI prints it as it is).
    """


class Grader(abc.ABC):
    """Runs jobs; calls ``on_result(job, result)`` in the caller's thread for each."""

    @abc.abstractmethod
    def grade(self, jobs, on_result, progress=None):
        ...
