"""The course's grading pipeline on nbgrader 0.9 (instructor-side; ``python -m autograder --help``).

Modules: ``nbgrader_config`` (nbgrader settings), ``course`` (the course folder and its results),
one per stage: ``build`` (and the student copy), ``collect``, ``autograde``, ``feedback``,
``export`` (+ ``canvas``); ``grader`` + ``worker`` (isolated grading processes), ``preprocessors/``
(one nbgrader preprocessor per file) and ``guard`` (tamper-proofing), ``report`` (summary, plot),
``validate`` (students and CI), ``checks`` (grader-only comparisons for hidden tests); ``tools/``
(bench, demo, sample class: never imported by the grading code).
Importing this package is light: nothing heavy is imported until a command needs it.
"""
