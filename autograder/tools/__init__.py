"""Developer tools around the grading pipeline, not part of it.

The benchmarks (``bench``: where grading time goes, against plain nbclient, plain nbgrader and a
local Dask cluster, and the sandbox's cost; ``bench_class``: a 200-student class end to end), the
demo (``make grade-demo``), ``sample_class``, the synthetic class they and the tests grade, and
``hostile_pages``, a submission that attacks the pages showing it (feedback, the formgrader), for
the sanitiser's tests.  They drive the stages from outside, as the CLI does;
grading code never imports them.
"""
