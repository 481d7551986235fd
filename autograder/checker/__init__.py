"""The trusted checker: where every graded test cell runs and every verdict is reached.

The student's kernel (in the sandbox) runs the student's cells and, in place of each test cell,
one line that answers calls (autograder.kernel.serve).  The checker -- a process forked warm from
the trusted job process -- runs the test cell itself, from the source notebook, hidden tests and
all, with the instructor's names made here and the student's names as proxies of the kernel's
objects.  Nothing of a test (no source, input-independent expected value, check or hidden test's
existence) is ever in the student's process; what comes back from it is plain data.

- ``plan``: which names a test takes from the checker and which from the kernel;
- ``connection``: the wire to the kernel, proxies of its objects, its errors;
- ``source``: what the submitted source says (rules about the code itself);
- ``session``: one notebook's test cells, their verdicts;
- ``process``: the checker's own process and its protocol with the job process.
"""
