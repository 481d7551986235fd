"""Autograde stage, after execution: the trusted check.  A test counts only with a valid seal over
the very code the worker sent; then what GuardCells added is taken out again.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re

import nbformat

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.kernel import guard as _guard
from autograder.worker.preprocessors.base import outcome_meta
from autograder.worker.preprocessors.guard_cells import HEAD_LINES

NO_SEAL = "the test did not run to its end as written (no seal)"
_SEAL_LINE = re.compile(r"^" + re.escape(_guard.SEAL_MARK) + r" ([0-9a-f]+) ([0-9a-f]{64}) (.*)$")
_KEY_LINE = re.compile(r"^" + re.escape(_guard.KEY_MARK) + r" ([0-9a-f]{64})$", re.M)


def _stream_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.get("name") == "stdout")


def _undone(text):
    """What the guard's restore undid, from its marked lines (informational only)."""
    found = []
    for line in text.splitlines():
        if line.startswith(_guard.UNDONE_MARK + " "):
            try:
                found += [str(x) for x in json.loads(line[len(_guard.UNDONE_MARK) + 1:])]
            except (ValueError, TypeError):
                pass
    return sorted(set(found))[:50]


def _strip_seals(cell):
    """Remove every seal and guard line from the cell's outputs (they mean nothing to a reader)."""
    marks = (_guard.SEAL_MARK + " ", _guard.UNDONE_MARK + " ")
    kept = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            text = "".join(line for line in output.text.splitlines(keepends=True)
                           if not line.startswith(marks))
            if not text:
                continue
            output.text = text
        kept.append(output)
    cell.outputs = kept


def check_seal(key, token, digest, text):
    """(verdict, report): verdict is None when ``text`` holds exactly one valid seal for ``token``
    over ``digest`` and its report is clean, else the reason the test does not count."""
    seals = [m for m in map(_SEAL_LINE.match, text.splitlines()) if m and m.group(1) == token]
    if not seals:
        return NO_SEAL, None
    if len(seals) > 1:
        return "the test printed its seal more than once", None
    match = seals[0]
    expected = hmac.new(key, _guard.seal_message(token, digest, match.group(3)),
                        hashlib.sha256).hexdigest()
    if digest is None or not hmac.compare_digest(expected, match.group(2)):
        return "the code that ran is not the test as sent (invalid seal)", None
    try:
        problems, integrity = ast.literal_eval(match.group(3))
    except (ValueError, SyntaxError, TypeError):
        return "unreadable seal", None
    reasons = list(problems) + list(integrity)
    return ("; ".join(reasons) if reasons else None), {"problems": problems, "integrity": integrity}


class UnguardCells(NbGraderPreprocessor):
    """Verify each test cell's seal (see check_seal), then remove what GuardCells added."""

    def preprocess(self, nb, resources):
        guard = [c for c in nb.cells if c.metadata.get("autograder", {}).get("guard")]
        found = _KEY_LINE.search(_stream_text(guard[0])) if guard else None
        key = bytes.fromhex(found.group(1)) if found else None
        if guard and key is None:
            errors = [f"{o.ename}: {o.evalue}" for o in guard[0].get("outputs", [])
                      if o.output_type == "error"]
            outcome_meta(nb)["guard_failed"] = (errors[0] if errors else "it printed no key")[:300]
        for cell in [c for c in nb.cells if c.metadata.get("autograder", {}).get("sentinel")]:
            meta = cell.metadata["autograder"]
            if key is not None and check_seal(key, meta["token"], meta["digest"],
                                              _stream_text(cell))[1] is not None:
                outcome_meta(nb)["forged"] = True        # a valid seal: made with the stolen key
        nb.cells = [c for c in nb.cells if not c.metadata.get("autograder", {}).get("guard")
                    and not c.metadata.get("autograder", {}).get("sentinel")]
        for cell in nb.cells:
            meta = cell.metadata.get("autograder", {})
            if "token" not in meta:
                continue
            token, digest = meta.pop("token"), meta.pop("digest", None)
            undone = _undone(_stream_text(cell))
            if undone:
                meta["undone"] = undone
            self._verify(cell, meta, key, token, digest, nb.metadata.get("autograder", {}))
            _strip_seals(cell)
            cell.source = meta.pop("original")
            meta["line_offset"] = HEAD_LINES
        return nb, resources

    @staticmethod
    def _verify(cell, meta, key, token, digest, notes):
        outputs = cell.get("outputs", [])
        failed = [o for o in outputs if o.output_type == "error"]
        if failed or any(meta.get(k) for k in ("not_run", "kernel_died", "timed_out")):
            return                      # an ordinary failure: no points, nothing to verify
        if notes.get("forged"):
            verdict = "a hidden test that must fail came back sealed: seals are being forged"
        elif key is None:
            verdict = "the grader's guard did not start in the kernel"
        else:
            verdict, _ = check_seal(key, token, digest, _stream_text(cell))
        if verdict is None:
            meta["verified"] = True
            return
        meta["integrity"] = verdict
        cell.outputs = list(outputs) + [nbformat.v4.new_output(
            "error", ename="IntegrityError", evalue=verdict,
            traceback=[f"IntegrityError: {verdict} (this test scores 0; flagged for review)"])]
