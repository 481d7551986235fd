"""The two install routes (pip's requirements.txt and conda's environment.yml) pin the same set."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normalise(name)] = version.strip()
    return pins


def _environment():
    """Parse the small subset of YAML environment.yml uses (no PyYAML needed in a test)."""
    pins, python, section = {}, None, None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line and not line.startswith(" "):
            section = line.split(":", 1)[0]  # top-level key: name, channels, dependencies
        line = line.strip()
        if section != "dependencies" or not line.startswith("- ") or line.endswith(":"):
            continue
        spec = line[2:].strip()
        if spec in ("pip", "-e .") or spec.startswith("-e "):
            continue
        if "==" in spec:  # pip section
            name, version = spec.split("==")
        elif "=" in spec:  # conda section
            name, version = spec.split("=")
        else:
            raise AssertionError(f"environment.yml: unpinned dependency {spec!r}")
        if _normalise(name) == "python":
            python = version
            continue
        pins[_normalise(name)] = version.strip()
    return pins, python


def test_same_pins_in_both_routes():
    """requirements.txt and environment.yml pin exactly the same packages at the same versions."""
    req = _requirements()
    env, _ = _environment()
    only_req = {k: v for k, v in req.items() if k not in env}
    only_env = {k: v for k, v in env.items() if k not in req}
    differ = {k: (req[k], env[k]) for k in req.keys() & env.keys() if req[k] != env[k]}
    assert not (only_req or only_env or differ), (
        f"install routes drifted apart: only in requirements.txt {only_req}, "
        f"only in environment.yml {only_env}, different versions {differ}"
    )


def test_environment_pins_python_311():
    """The conda route uses Python 3.11, as the Makefile's virtual environment does."""
    _, python = _environment()
    assert python == "3.11"


def test_requirements_are_all_pinned():
    """Every requirement has an exact version, so a fresh clone installs what CI tested."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-+]*", line), line
