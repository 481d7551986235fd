"""The course's grading pipeline on nbgrader 0.9 (``python -m autograder --help``).

The folders show where code runs and whom it trusts:

- ``stages/`` and ``course/``: the instructor's process (one module per step; the course folder and
  the only writer of its gradebook);
- ``engines/``: where jobs run (local processes, a Dask cluster), moving only data;
- ``worker/``: the trusted job process that grades one submission with nbgrader;
- ``sandbox/``: the trusted side of isolation (bubblewrap, cgroups, uid slots, warm kernels);
- ``kernel/``: the only code the sandbox sees;
- ``student/``: the student's own machine (validate);
- ``tools/``: bench, demo, sample class (nothing above imports them).

``jobs`` is the contract all of them share (Job, Limits, Result, Status, Outcome);
``nbgrader_config`` the course's nbgrader settings; ``nbgrader_setup`` makes nbgrader faster in any
process of ours.  Importing this package is light: nothing heavy is imported until a command needs it.
"""
