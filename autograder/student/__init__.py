"""The student's own machine: ``validate`` runs a notebook and reports its visible tests (in the
student's own kernel, unsandboxed: it is their code on their machine), and serves the lab's
Validate button."""
