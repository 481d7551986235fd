"""The only code of autograder the sandbox sees (copied whole into it, read-only; see
autograder.sandbox.bwrap.ship_kernel_package).  It runs inside the student's kernel or beside it,
imports nothing of autograder outside this package, and is trusted by nothing: whatever it reports
is the student's to change.

``zygote`` forks warm kernels inside the sandbox; ``guard`` is the kernel-side half of the old
in-kernel seal.
"""
