# The course's commands. On a fresh machine (Python 3.11 + make) `make lab` and `make test` are all
# a student or CI needs: both create the virtual environment and install the pinned set first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The stamp is newer than every file that decides what gets installed; editing one re-installs.
STAMP := $(VENV)/.installed

.PHONY: help setup lab instructor-lab test test-fast test-nnlib test-notebooks test-grading test-browser \
        bench bench-grade bench-class grade-demo sandbox-check student build clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Need $(PYTHON) on PATH (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# bubblewrap runs the student's kernel in a sandbox when grading (installed with apt-get when root).
setup: $(STAMP)  ## create .venv and install everything (idempotent)
	@$(PY) -m autograder.sandbox

student: setup  ## build the student versions into student/ (never overwrites a student's file)
	$(PY) -m autograder student

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# Each lab adds its folder of jupyter-config/ in front of JUPYTER_CONFIG_PATH: it outranks the
# virtualenv's defaults (which switch every nbgrader extension on) but not the user's own
# ~/.jupyter, and nothing is written anywhere. See jupyter-config/README.md.
lab_config = JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config/$(1)$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))"

lab: student  ## open the course in JupyterLab (student versions in student/)
	$(call lab_config,student) $(BIN)/jupyter lab --notebook-dir=student $(ALLOW_ROOT) $(LAB_ARGS)

# nbgrader's formgrader reads nbgrader_config.py from the current folder and wants the course
# inside the server's root: run from course/, serve the whole repository (notebooks/ included).
instructor-lab: setup  ## JupyterLab with nbgrader's instructor tools (formgrader, Create Assignment)
	$(PY) -m autograder build
	cd course && $(call lab_config,instructor) $(abspath $(BIN))/jupyter lab --notebook-dir="$(CURDIR)" \
	    $(ALLOW_ROOT) $(LAB_ARGS)

# The PostgreSQL gradebook test starts its own server from Debian's postgresql package
# (tests/grading/postgres_setup.py installs it with apt-get when root and missing).
test: setup  ## the whole suite: nnlib, notebooks (nbval), grading, browser
	$(PY) -m tests.grading.postgres_setup
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-browser

test-fast: setup  ## everything but the browser tests
	$(PY) -m tests.grading.postgres_setup
	$(BIN)/pytest

test-nnlib: setup  ## nnlib's unit tests and doctests only
	$(BIN)/pytest tests --ignore=tests/browser -k "not notebook and not grading" nnlib

test-notebooks: setup  ## run every source notebook under nbval
	$(BIN)/pytest --nbval-lax notebooks

test-grading: setup  ## grading trust tests (real nbgrader, a Dask cluster, PostgreSQL)
	$(PY) -m tests.grading.postgres_setup
	$(BIN)/pytest tests/grading

test-browser: setup  ## widgets in a real JupyterLab in headless Chromium
	$(PY) -m tests.browser.setup
	$(BIN)/pytest tests/browser -p no:cacheprovider -rs

bench: setup  ## nnlib vs scikit-learn (and PyTorch when installed): one table
	$(PY) tests/bench/bench_nnlib.py

sandbox-check: setup  ## can this machine grade in the sandbox? (bubblewrap, user namespaces, cgroups)
	$(PY) -m autograder sandbox-check

bench-grade: setup  ## grading time: nbclient floor, plain nbgrader, ours (1, N workers, Dask); sandbox cost
	$(PY) -m autograder bench

bench-class: setup  ## a class of 200 students x 6 notebooks graded end to end (about half an hour)
	$(PY) -m autograder bench-class

grade-demo: setup  ## the instructor's quick start: whole pipeline on the bundled sample class
	$(PY) -m autograder demo

clean:  ## remove everything generated (keeps .venv and student/)
	rm -rf course course-demo build .pytest_cache tests/browser/artifacts
