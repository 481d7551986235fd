"""The sandbox behind jupyter_client: a kernel manager whose provisioner starts every kernel through a
sandbox backend (autograder.sandbox.bwrap.Backend: cold, or warm from a zygote) and nothing else.

nbgrader's Execute (and so nbclient) starts kernels with the manager class it is given
(:func:`sandboxed_preprocessors`); the manager puts the kernel's sockets in a private ipc folder,
takes that folder back once the sockets exist, and hands the launch to :class:`SandboxProvisioner`,
jupyter_client's own extension point for how a kernel process is started, signalled and cleaned up.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import stat
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is: the kernel_info handshake as
    jupyter_client does it (a reply on shell and a message on IOPub: both connected), without the
    fixed 0.2 s of IOPub silence it then waits for -- nbclient only reads the messages of its own
    requests, so a late status message of the handshake is ignored anyway."""

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through a sandbox backend: the kernel process
    is the backend's (:class:`autograder.sandbox.bwrap.KernelProcess`), an interrupt reaches the
    kernel inside the sandbox, and cleanup removes what the sandbox made for it."""

    backend = None          # set by SandboxedKernelManager
    ipc_dir = None
    kernel = None           # the KernelProcess (``process`` is dropped once it has ended)

    async def launch_kernel(self, cmd, **kwargs):
        self.process = self.kernel = self.backend.launch(cmd, self.ipc_dir,
                                                         LocalProvisioner._scrub_kwargs(kwargs))
        self.pid, self.pgid = self.process.pid, None
        return self.connection_info

    async def send_signal(self, signum):
        # bwrap's own process (or the warm kernel's keeper) would die of SIGINT and take the kernel
        # with it: an interrupt goes to the processes inside
        if signum == signal.SIGINT and self.process is not None and self.process.interrupt():
            return
        if self.process is not None:
            self.process.send_signal(signum)

    async def cleanup(self, restart=False):
        await super().cleanup(restart=restart)
        if self.kernel is not None:
            self.kernel.finish()


class SandboxedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager with the kernel started by :attr:`backend` (set on a
    subclass by :func:`kernel_manager_for`): ipc transport in a private folder, the launch by
    :class:`SandboxProvisioner`."""

    backend = None
    client_class = DottedObjectName("autograder.sandbox.provisioner.PromptKernelClient")
    client_factory = Type(PromptKernelClient)

    async def _async_pre_start_kernel(self, **kw):
        self._ipc_dir = self.backend.private_dir()
        self.transport = "ipc"
        self.ip = os.path.join(self._ipc_dir, "k")
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        if self.provisioner is None:
            self.provisioner = SandboxProvisioner(kernel_id=self.kernel_id or kw.get("kernel_id", ""),
                                                  kernel_spec=self.kernel_spec, parent=self)
        self.provisioner.backend, self.provisioner.ipc_dir = self.backend, self._ipc_dir
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self.backend.give(self.connection_file)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_post_start_kernel(self, **kw):
        await self._seal_sockets()
        await super()._async_post_start_kernel(**kw)

    async def _seal_sockets(self, timeout=60.0):
        """Once the kernel has bound its five sockets (before any student code runs), take the
        folder back: the kernel can then not swap a socket for a symlink that would make this
        trusted process connect to any other socket on the host when ZMQ reconnects."""
        paths = [f"{self.ip}-{port}" for port in (self.shell_port, self.iopub_port,
                                                   self.stdin_port, self.hb_port, self.control_port)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.provisioner and \
                await self.provisioner.poll() is None:
            if all(os.path.exists(path) for path in paths):
                break
            await asyncio.sleep(0.02)
        if os.geteuid() == 0:
            os.chown(self._ipc_dir, 0, 0)
        os.chmod(self._ipc_dir, 0o755)
        for path in paths:
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            if not stat.S_ISSOCK(mode):
                raise RuntimeError(f"the kernel's socket {path} is not a socket")

    async def _async_wait(self, pollinterval=0.1):
        """The kernel's end, awaited on a pidfd: jupyter_client polls every 100 ms, which every
        graded notebook would pay once when its kernel is stopped."""
        pid = self.provisioner.pid if self.provisioner is not None else None
        try:
            fd = os.pidfd_open(pid)
        except (TypeError, OSError):          # gone already, or no pidfd here
            return await super()._async_wait(pollinterval)
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
        try:
            if await self._async_is_alive():
                await ended
        finally:
            loop.remove_reader(fd)
            os.close(fd)

    async def _async_cleanup_resources(self, restart=False):
        if getattr(self, "_ipc_dir", None) and os.path.isdir(self._ipc_dir):
            os.chmod(self._ipc_dir, 0o700)         # writable again for us, to remove the sockets
        await super()._async_cleanup_resources(restart=restart)
        shutil.rmtree(getattr(self, "_ipc_dir", ""), ignore_errors=True)


def kernel_manager_for(backend):
    """A SandboxedKernelManager class bound to ``backend`` (nbclient instantiates it by class)."""
    return type("SandboxedKernelManager", (SandboxedKernelManager,), {"backend": backend})


def sandboxed_preprocessors(classes, backend):
    """The autograde preprocessors with every executing one starting its kernels through ``backend``.

    nbgrader's Execute passes ``kernel_manager_class=AsyncKernelManager`` to its own constructor,
    which beats any config; a subclass passing ours is the way in.
    """
    from nbconvert.preprocessors import ExecutePreprocessor
    from traitlets.utils.importstring import import_item

    manager = kernel_manager_for(backend)
    out = []
    for cls in classes:
        if isinstance(cls, str):          # the configuration names ours by dotted path
            cls = import_item(cls)
        if isinstance(cls, type) and issubclass(cls, ExecutePreprocessor):
            def __init__(self, *args, _base=cls, **kwargs):
                kwargs["kernel_manager_class"] = manager
                _base.__init__(self, *args, **kwargs)
            cls = type(cls.__name__, (cls,), {"__init__": __init__, "__module__": cls.__module__})
        out.append(cls)
    return out
