"""The trusted side of isolation: the student's kernel in a bubblewrap sandbox; nbgrader, the
checker's verdicts and the gradebook stay outside.

Guarantees (``autograde`` uses it by default; ``python -m autograder sandbox-check`` tests a machine):
- the kernel runs as an unprivileged uid (when grading runs as root: a uid of its own per grading slot,
  never 0 inside or outside), in new user, PID, network, IPC and UTS namespaces: no network at all (not
  even loopback), no signal to any process outside, and everything it starts dies with it;
- it sees the Python installation, the virtualenv, nnlib and autograder.kernel (the only code of
  autograder shipped in) read-only, a private size-limited working folder holding a copy of the
  submission, a private /tmp; nothing else (no course folder, gradebook, other submission, source
  notebook, test, home folder);
- memory (cgroup + address space), processes, CPU time, file size, disk and open files are bounded.
Not guaranteed: protection from host kernel bugs (no seccomp filter); without root, the kernel's uid
outside is the grading user's own and the memory/process cgroups are not set (rlimits only).  Nothing
inside the kernel's own process is protected, and nothing there needs to be: no verdict is reached in
it (autograder.checker).

One mechanism per module: ``bwrap`` (the bubblewrap command, the cold backend, the Backend
interface), ``warm`` (kernels forked warm by a zygote: the other backend), ``cgroups``, ``slots``
(a uid per grading slot), ``provisioner`` (jupyter_client's kernel manager and provisioner on a
backend), ``check`` (sandbox-check, make setup).  A new backend (nsjail, podman) is one Backend
subclass.
"""

from autograder.sandbox.bwrap import HOME, Backend, KernelProcess, Sandbox, SandboxUnavailable

__all__ = ["HOME", "Backend", "KernelProcess", "Sandbox", "SandboxUnavailable"]
