"""Developer tools around the grading pipeline, not part of it.

The benchmarks (``bench``: our pipeline vs plain nbgrader, and the sandbox's cost; ``bench_dask``:
local workers vs a local Dask cluster), the demo (``make grade-demo``) and ``sample_class``, the
synthetic class they and the tests grade.  They drive the stages from outside, as the CLI does;
grading code never imports them.
"""
