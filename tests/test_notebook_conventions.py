"""Every notebook in notebooks/ follows the course's nbgrader conventions (static, no kernel).

The rules live in notebook_tools.CONVENTIONS (one function per rule, each returning
readable problems); the second half of this file checks that each rule can fail.
"""

import copy

import pytest

import notebook_tools as nt

PATHS = nt.notebook_paths()
NONE_YET = pytest.param(None, marks=pytest.mark.skip(reason="no notebooks in notebooks/ yet"),
                        id="none")
NOTEBOOKS = [pytest.param(p, id=p.stem) for p in PATHS] or [NONE_YET]
RULES = [pytest.param(p, rule, id=f"{p.stem}/{rule}") for p in PATHS for rule in nt.CONVENTIONS]


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_reads_cleanly(path):
    """The notebook is JSON nbformat v4 that reads without nbformat warnings."""
    nt.read(path)


@pytest.mark.parametrize("path, rule", RULES or [pytest.param(None, None, marks=NONE_YET.marks,
                                                              id="none")])
def test_convention(path, rule):
    """The notebook follows one convention (see notebook_tools.CONVENTIONS[rule].__doc__)."""
    problems = nt.CONVENTIONS[rule](nt.read(path))
    if problems:
        pytest.fail(f"{path.name}: {nt.CONVENTIONS[rule].__doc__}\n  " + "\n  ".join(problems),
                    pytrace=False)


# --------------------------------------------------------------------------- the rules can fail
TINY = nt.DATA_DIR / "tiny_assignment.ipynb"


@pytest.fixture
def tiny():
    return nt.read(TINY)


def test_fixture_follows_every_convention(tiny):
    """The fixture notebook is clean, so each rule below fails for the one change made."""
    assert {rule: check(tiny) for rule, check in nt.CONVENTIONS.items()} == \
        {rule: [] for rule in nt.CONVENTIONS}


def _break(nb, index, **changes):
    broken = copy.deepcopy(nb)
    cell = broken.cells[index]
    for key, value in changes.items():
        if key == "source":
            cell.source = value
        else:
            cell.metadata.setdefault("nbgrader", {})[key] = value
    return broken


@pytest.mark.parametrize("rule, index, changes, words", [
    ("grade_ids", 4, {"grade_id": "test_double_vector"}, "used by cells"),
    ("grade_ids", 4, {"schema_version": 1}, "schema_version"),
    ("test_cells", 3, {"points": 0}, "points"),
    ("test_cells", 3, {"locked": False}, "locked"),
    ("test_cells", 3, {"source": "assert double(1) == 2"}, "docstring"),
    ("test_cells", 3, {"source": '"""Check that\nit works."""\nassert True'}, "docstring"),
    ("solution_cells", 2, {"source": "def double(x):\n    return 2 * x"}, "BEGIN SOLUTION"),
    ("solution_cells", 1, {"source": "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"},
     "outside a solution cell"),
    ("solution_cells", 1, {"source": "### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS"},
     "outside a graded test cell"),
    ("no_sys_path", 1, {"source": "import sys\nsys.path.insert(0, '..')"}, "sys.path"),
    ("title", 0, {"source": "Tiny assignment without a heading"}, "# <title>"),
    ("control_characters", 0, {"source": "# Tiny\n\nthe arrows $z_i \to y_i$"}, "U+0009"),
])
def test_rule_fails_on_broken_cell(tiny, rule, index, changes, words):
    """Each rule reports the cell it finds broken."""
    problems = nt.CONVENTIONS[rule](_break(tiny, index, **changes))
    assert problems and words in problems[0], problems


HIDDEN_CELL = ('"""Check that double keeps the shape of a matrix."""\nx = np.arange(6.0).reshape(2, 3)\n'
               'check_array(double(x), 2 * x, name="double(x)")\n### BEGIN HIDDEN TESTS\n{}\n'
               '### END HIDDEN TESTS')


@pytest.mark.parametrize("hidden, words", [
    ("x_h = np.random.default_rng(3032).normal(size=3)\ncheck_array(double(x_h), 2 * x_h)", "fixed seed"),
    ("rng = np.random.RandomState(seed=7)\ncheck_array(double(rng.rand(3)), 2 * rng.rand(3))", "fixed seed"),
    ("check_array(double(np.array([1.0, -2.0])), np.array([2.0, -4.0]))", "literal array"),
    ("check_array(double(np.array([[1, 2], [3, 4]])), 2 * x[:2, :2])", "literal array"),
    ("for eta in (0.01, 1.0, 2.5):\n    check_scalar(double(eta), 2 * eta)", "literal numbers"),
    ("check_scalar(double(0.5), 1.2347682349314635)", "a copied value"),
])
def test_hidden_inputs_rule_fails(tiny, hidden, words):
    """A hidden test with a fixed seed, a literal array or list of numbers, or a copied expected
    value is reported (a student who recorded its inputs once would know them at every grading)."""
    problems = nt.CONVENTIONS["hidden_inputs"](_break(tiny, 4, source=HIDDEN_CELL.format(hidden)))
    assert problems and words in problems[0] and "grade_id test_double_matrix" in problems[0], problems


def test_hidden_inputs_rule_passes_drawn_inputs(tiny):
    """Inputs drawn from grading_rng, shapes, small integers and tolerances are not reported; nor
    are fixed inputs in the visible part."""
    hidden = ("rng = grading_rng()\nfor shape in [(1, 3), (4, 2)]:\n    X = rng.uniform(-1.0, 1.0, size=shape)\n"
              "    check_array(double(X), 2 * X, rtol=1e-12, atol=1e-12)\nfor k in (0, 1):\n"
              "    check_scalar(double(float(k)), 2.0 * k)")
    assert nt.CONVENTIONS["hidden_inputs"](_break(tiny, 4, source=HIDDEN_CELL.format(hidden))) == []


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_hidden_tests_draw_from_grading_rng(path):
    """Every hidden test of the course draws its inputs from grading_rng (fresh at every grading)."""
    nb = nt.read(path)
    missing = [nt.label(i, c) for i, c in enumerate(nb.cells)
               if nt.is_graded_test(c) and nt.BEGIN_HIDDEN in c.source
               and "grading_rng()" not in nt.hidden_parts(c)]
    assert missing == [], f"{path.name}: hidden tests that do not draw from grading_rng(): {missing}"


def test_self_contained_rule_fails_on_a_name_from_an_earlier_test(tiny):
    """A test cell that uses what an earlier test cell defined is reported; the same name defined
    in an instructor cell is not."""
    broken = _break(tiny, 3, source=tiny.cells[3].source + "\n_tolerance = 1e-12")
    broken = _break(broken, 4, source=tiny.cells[4].source.replace(
        'name="double(x)")', 'name="double(x)", atol=_tolerance)', 1))
    problems = nt.CONVENTIONS["self_contained_tests"](broken)
    assert len(problems) == 1 and "grade_id test_double_matrix" in problems[0] \
        and "_tolerance" in problems[0] and "test_double_vector" in problems[0], problems
    shared = _break(broken, 1, source=tiny.cells[1].source + "\n_tolerance = 1e-12")
    assert nt.CONVENTIONS["self_contained_tests"](shared) == []


def test_outputs_rule_fails(tiny):
    """A committed output or execution count is reported."""
    tiny.cells[1].execution_count = 3
    assert "execution_count 3" in nt.CONVENTIONS["no_outputs"](tiny)[0]


def test_widget_rule_fails(tiny):
    """A widget cell without the nbval-ignore-output tag, or graded, is reported."""
    from nbformat.v4 import new_code_cell

    tiny.cells.append(new_code_cell("from nnlib.widgets import ForwardStepper\n"
                                    "ForwardStepper.show(model, x)"))
    assert "nbval-ignore-output" in nt.CONVENTIONS["widgets"](tiny)[0]
    tiny.cells[-1].metadata["tags"] = ["nbval-ignore-output"]
    assert nt.CONVENTIONS["widgets"](tiny) == []
    tiny.cells[-1].metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1,
                                           "grade_id": "w", "locked": True, "schema_version": 3}
    assert "must not be graded" in nt.CONVENTIONS["widgets"](tiny)[0]


def test_format_rule_fails(tiny):
    """A wrong kernelspec or an invalid cell is reported."""
    tiny.metadata.kernelspec.name = "python2"
    assert "kernelspec" in nt.CONVENTIONS["format"](tiny)[0]
    tiny.metadata.kernelspec.name = "python3"
    tiny.cells[0]["cell_type"] = "banana"
    assert "not a valid notebook" in nt.CONVENTIONS["format"](tiny)[0]
