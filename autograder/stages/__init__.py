"""The instructor's process, one module per grading step, each taking the course
(autograder.course): ``build`` (student versions), ``collect`` (uploads into submitted/),
``autograde`` (jobs to an engine, results into the gradebook), ``feedback`` (HTML for students),
``export`` (grades CSV; ``canvas`` its Canvas form), ``summary`` (the class's table and plot)."""
