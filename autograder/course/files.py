"""Every file the instructor's process records is written whole or not at all.

A kill, a power cut or a full disk in the middle of a write must leave the old file or the new
one, never half of either: each file is written to a temporary name in the same folder, flushed
to disk and renamed over the old one (a rename within one filesystem is atomic).  A write that
fails removes its temporary file and raises, so the caller can say what failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def replacing(path, mode="w", **open_args):
    """Open a temporary file next to ``path``; on a clean exit it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_text(path, text):
    with replacing(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def write_bytes(path, data):
    with replacing(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_json(path, data):
    return write_text(path, json.dumps(data, indent=1) + "\n")


def copy(source, path):
    """Copy the file ``source`` to ``path``, atomically."""
    with open(source, "rb") as src, replacing(path, "wb") as handle:
        shutil.copyfileobj(src, handle, 1 << 20)
    return Path(path)


def write_notebook(nb, path):
    import nbformat
    return write_text(path, nbformat.writes(nb))


def folder_digest(folder):
    """What a submission is: a digest of the names and bytes of the regular files in ``folder``
    (not ``timestamp.txt``, which is when it was taken, not what it is).  Two folders with the same
    digest hold the same submission."""
    hasher = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name == "timestamp.txt":
            continue
        with open(path, "rb") as handle:
            content = hashlib.file_digest(handle, "sha256").hexdigest()
        hasher.update(f"{path.relative_to(folder).as_posix()}\0{content}\n".encode())
    return hasher.hexdigest()


def remove_partials(folder):
    """Remove the temporary files that writes cut off by a kill left under ``folder``."""
    removed = 0
    for path in Path(folder).rglob(".*.partial"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
