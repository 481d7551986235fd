"""End-to-end tests of the course in a real browser: JupyterLab 4 driven by Playwright (sync API)
in headless Debian Chromium.

Run: ``make test-browser`` (``python -m tests.browser.setup`` finds or installs Chromium, then
``pytest tests/browser``). Pictures, notes and server logs land in tests/browser/artifacts/.

- setup.py        find Chromium (apt-get install it when root); skip without it, fail under CI=true
- lab.py          a private JupyterLab server (free port, no token, isolated settings) and the
                  student versions of the notebooks it serves
- jlab.py         driving JupyterLab (open, Run All, wait for the kernel) and reading what shows
- interactions.py per-notebook clicks, drags and strokes, and what must change after each
- test_notebooks.py  every notebook: run all, widgets render, they respond, console clean, pictures
- test_make_lab.py   `make lab` as a new user meets it (no nbgrader instructor tools), and
                     `make instructor-lab` with them
- test_validate_button.py  the Validate button agrees with `python -m autograder validate`
- data/harness_smoke.ipynb  plain ipywidgets, proving the harness itself works
"""
