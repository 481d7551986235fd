"""The course's grading pipeline on nbgrader 0.9 (instructor-side; ``python -m autograder --help``).

Modules: ``nbgrader_config`` (nbgrader settings), ``course`` (build, student, collect, autograde,
feedback, export), ``grader`` + ``worker`` (isolated grading processes), ``preprocessors`` and
``guard`` (tamper-proofing), ``report`` (summary, plot), ``validate`` (students and CI),
``sample_class`` + ``demo`` + ``bench``, ``checks`` (grader-only comparisons for hidden tests).
Importing this package is light: nothing heavy is imported until a command needs it.
"""
