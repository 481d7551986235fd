"""The trusted job process: grade ONE submission (``python -m autograder.worker JOB.json``).

``job`` configures nbgrader's Autograde for the job folder, runs it with the student's kernel in the
sandbox and reads the result back; ``preprocessors/`` are our nbgrader preprocessors, one per file;
``verdict`` is the verdict, a pure function of the source notebook and the graded notebook.
Importing this package is light: ``job`` (nbgrader and friends) is imported only where it runs.
"""
