"""Make nbgrader usable from any process of ours, and faster.

nbgrader's Gradebook runs the ``alembic`` command (``alembic heads``) every time a gradebook is
opened -- a Python start and alembic's imports, 0.5 to 3 s, many times per graded notebook -- and
needs it on PATH.  The answer never changes for an installed nbgrader: it is read once, in this
process, from nbgrader's migration scripts (what ``alembic heads`` reads), and handed to worker
processes through the environment.

nbgrader also validates every cell's metadata with ``jsonschema.validate``, which checks its own
(constant) schema again on every call -- a tenth of a second per notebook; the validator is built
once per schema instead.
"""

import functools
import os
import sys

ALEMBIC_ENV = "AUTOGRADER_ALEMBIC_HEAD"


def setup():
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    import nbgrader.api as api

    if getattr(api.get_alembic_version, "_autograder", False):
        return
    @functools.lru_cache(maxsize=None)
    def get_alembic_version():
        head = os.environ.get(ALEMBIC_ENV)
        if not head:
            from alembic.script import ScriptDirectory
            scripts = os.path.join(os.path.dirname(api.__file__), "alembic")
            head = ScriptDirectory(scripts).get_current_head()
            os.environ[ALEMBIC_ENV] = head          # inherited by the workers we start
        return head

    get_alembic_version._autograder = True
    api.get_alembic_version = get_alembic_version

    import nbgrader.nbgraderformat.common as common
    common.jsonschema = _SchemaOnceJsonschema()


class _SchemaOnceJsonschema:
    """``jsonschema`` as nbgrader's format module uses it, with one validator per schema."""

    def __init__(self):
        import jsonschema
        self._jsonschema, self._validators = jsonschema, {}

    def validate(self, instance, schema):
        key = id(schema)
        if key not in self._validators:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = (schema, cls(schema))    # the schema kept: its id stays its own
        error = self._jsonschema.exceptions.best_match(self._validators[key][1].iter_errors(instance))
        if error is not None:           # the error jsonschema.validate would raise
            raise error

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)
