"""Feedback: a hidden test shows only whether it passed; its code, output and traceback would tell
the student the inputs it checks.
"""

from __future__ import annotations

import re

import nbformat

from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


class HideHiddenTests(NbGraderPreprocessor):
    """For feedback: hidden tests are shown as one neutral line, never their code or errors."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or HIDDEN_BEGIN not in cell.source:
            return cell, resources
        lines = cell.source.split("\n")
        hidden = set()
        inside = False
        for number, line in enumerate(lines, start=1):
            if HIDDEN_BEGIN in line:
                inside = True
            if inside:
                hidden.add(number)
            if HIDDEN_END in line:
                inside = False
        offset = cell.metadata.get("autograder", {}).get("line_offset", 0)
        verdict = "passed"
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue          # printed output of a cell with hidden tests may reveal them
            line = _error_line(output)
            if line is None or (line - offset) in hidden or output.ename == "NotRun":
                verdict = "failed" if output.ename != "NotRun" else "not run"
                outputs.append(nbformat.v4.new_output(
                    "error", ename="HiddenTestFailed" if output.ename != "NotRun" else "NotRun",
                    evalue="a hidden test failed (its details are not shown)"
                    if output.ename != "NotRun" else output.evalue,
                    traceback=[f"{'A hidden test failed' if output.ename != 'NotRun' else output.evalue}"
                               " (hidden tests check other inputs; details are not shown)."]))
            else:
                verdict = "not reached (a visible test failed first)"
                outputs.append(nbformat.v4.new_output(
                    "error", ename=output.ename, evalue=output.evalue,
                    traceback=[f"{output.ename}: {output.evalue}"]))
        shown, inside = [], False
        for line in lines:
            if HIDDEN_BEGIN in line:
                inside = True
                indent = line[:len(line) - len(line.lstrip())]
                shown.append(f"{indent}# [hidden tests: {verdict}]")
            if not inside:
                shown.append(line)
            if HIDDEN_END in line:
                inside = False
        cell.source = "\n".join(shown)
        cell.outputs = outputs
        return cell, resources


_LINE_RE = re.compile(r"(?:Cell In\s*\[\d*\],\s*line|<ipython-input-[^>]*>[^\n]*?in <module>\D*?|"
                      r"File <[^>]*>:)\s*(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_line(output):
    """Line number (1-based, as executed) in the cell itself where the error was raised."""
    text = _ANSI.sub("", "\n".join(output.get("traceback", [])))
    match = _LINE_RE.search(text)
    return int(match.group(1)) if match else None
