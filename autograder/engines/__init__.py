"""Where jobs run: ``base`` (the Grader interface and the job-folder protocol), ``local`` (local job
processes, a warm zygote per grading slot), ``cluster`` (a Dask cluster; ``cluster_task`` is what
runs on its workers).  Each engine only moves job folders and results, as data."""
