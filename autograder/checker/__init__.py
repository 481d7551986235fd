"""The trusted checker's side of grading: grader-only helpers for hidden tests (``checks``,
``reference``); never shipped into the sandbox."""
