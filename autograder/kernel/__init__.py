"""The only code of autograder the sandbox sees (copied whole into it, read-only; see
autograder.sandbox.bwrap.ship_kernel_package).  It runs inside the student's kernel or beside it,
imports nothing of autograder outside this package, and is trusted by nothing: whatever it reports
is the student's to change.

``serve`` answers the trusted checker's calls while a graded test cell runs there; ``wire`` is
the plain-data format both sides speak; ``zygote`` forks warm kernels inside the sandbox.
"""
