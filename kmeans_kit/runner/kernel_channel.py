"""The judge's side of the notebook kernel's channel: every message checked on arrival.

nbgrader executes a submitted notebook through nbclient, which trusts whatever the
kernel sends: the kernel holds the connection key, so a student's cell can send any
message it likes, signed. A ``display_data`` whose ``transient`` is not a dict, a forged
``status`` or a header without a date raised inside nbclient and took the whole
submission out of grading; 600 MB of outputs were all held in the judge's memory and
written into the feedback page.

:class:`GuardedKernelClient` is the kernel client the jailed kernel's manager hands
nbclient. Its channels

* drop, before Python sees them, messages larger than :data:`MAX_MESSAGE_BYTES` (zmq's
  ``MAXMSGSIZE``) and keep at most :data:`QUEUED_MESSAGES` unread messages per channel
  (``RCVHWM``), so a flood cannot pile up in the judge;
* check each message's shape, as the isolated runner checks its worker's replies
  (:func:`malformed`), and drop a malformed one, keeping the reasons in
  :attr:`GuardedKernelClient.rejected` so that the notebook can be marked with them.

How many bytes of output a cell and a notebook may keep is
:class:`~kmeans_kit.adapters.nbgrader.SurvivingExecute`'s business; :func:`output_bytes`
measures a message for it.
"""

from __future__ import annotations

import datetime
from collections import deque
from queue import Empty
from time import monotonic
from typing import Any

import zmq
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type

#: The largest message the judge accepts from the kernel; zmq drops bigger ones unread.
MAX_MESSAGE_BYTES = 16 * 2**20
#: Unread messages a channel keeps before zmq drops new ones.
QUEUED_MESSAGES = 64
#: Rejection reasons kept per client (the count goes on).
_KEPT_REASONS = 20

_OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "update_display_data",
                           "error"})
_KNOWN_TYPES = _OUTPUT_TYPES | {"status", "clear_output", "execute_input", "execute_reply",
                                "kernel_info_reply", "shutdown_reply", "interrupt_reply",
                                "comm_open", "comm_msg", "comm_close", "comm_info_reply",
                                "is_complete_reply", "complete_reply", "inspect_reply",
                                "history_reply", "input_request", "debug_event", "debug_reply"}


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _bundle_problem(content: dict) -> str | None:
    data, metadata = content.get("data"), content.get("metadata", {})
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        return "its data or metadata is not a dict"
    for mime, value in data.items():
        json_ok = mime.endswith("json") and isinstance(value, dict | list)
        if not isinstance(mime, str) or not (isinstance(value, str) or json_ok):
            return f"its {mime!r} output is not text"
    transient = content.get("transient")
    if transient is not None and (not isinstance(transient, dict) or not isinstance(
            transient.get("display_id", ""), str)):
        return "its transient part is not a dict with a string display_id"
    return None


def _content_problem(msg_type: str, content: dict) -> str | None:
    if msg_type == "status":
        if not isinstance(content.get("execution_state"), str):
            return "its execution_state is not a string"
    elif msg_type == "stream":
        if content.get("name") not in ("stdout", "stderr") or not isinstance(
                content.get("text"), str):
            return "it is not a stdout or stderr stream of text"
    elif msg_type in ("display_data", "execute_result", "update_display_data"):
        problem = _bundle_problem(content)
        if problem:
            return problem
    elif msg_type == "error":
        if not (isinstance(content.get("ename"), str) and isinstance(content.get("evalue"), str)
                and _is_str_list(content.get("traceback"))):
            return "its ename, evalue or traceback is not text"
    elif msg_type == "clear_output":
        if not isinstance(content.get("wait", False), bool):
            return "its wait is not a bool"
    elif msg_type == "execute_reply":
        if content.get("status") not in ("ok", "error", "aborted"):
            return "its status is not ok, error or aborted"
        if content.get("status") == "error" and not _is_str_list(content.get("traceback", [])):
            return "its traceback is not a list of text"
    if msg_type in ("execute_result", "execute_input", "execute_reply"):
        count = content.get("execution_count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            return "its execution_count is not a whole number"
    return None


def malformed(msg: Any) -> str | None:
    """Why ``msg`` is not a well-formed Jupyter message nbclient can handle (None: it is)."""
    if not isinstance(msg, dict):
        return "it is not a message"
    header, parent, content = msg.get("header"), msg.get("parent_header"), msg.get("content")
    if not isinstance(header, dict) or not isinstance(parent, dict) or not isinstance(
            content, dict) or not isinstance(msg.get("metadata", {}), dict):
        return "its header, parent header, metadata or content is not a dict"
    msg_type = msg.get("msg_type")
    if not isinstance(msg_type, str) or header.get("msg_type") != msg_type:
        return "its message type is missing or differs from its header's"
    if msg_type not in _KNOWN_TYPES:
        return f"{msg_type!r} is not a Jupyter message type"
    if not isinstance(parent.get("msg_id", ""), str) or not isinstance(header.get("msg_id"), str):
        return "its msg_id is not a string"
    if "date" in header and not isinstance(header["date"], datetime.datetime):
        return "its date is not a date"
    problem = _content_problem(msg_type, content)
    return f"a {msg_type} message: {problem}" if problem else None


def output_bytes(msg: dict) -> int:
    """How many characters of output ``msg`` carries (0 for a message that is no output)."""
    if msg["msg_type"] not in _OUTPUT_TYPES:
        return 0
    content = msg["content"]
    if msg["msg_type"] == "stream":
        return len(content["text"])
    if msg["msg_type"] == "error":
        return sum(map(len, content["traceback"])) + len(content["ename"] + content["evalue"])
    return sum(len(value) if isinstance(value, str) else len(repr(value))
               for value in content["data"].values())


class GuardedChannel(AsyncZMQSocketChannel):
    """A channel that drops malformed messages and undeserialisable frames, and says why."""

    def __init__(self, socket, session, loop=None):
        super().__init__(socket, session, loop)
        self.rejected: deque[str] = deque(maxlen=_KEPT_REASONS)
        self.rejected_count = 0

    def _reject(self, reason: str) -> None:
        self.rejected_count += 1
        self.rejected.append(reason)

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        end = None if timeout is None else monotonic() + timeout
        while True:
            remaining = None if end is None else max(0.0, end - monotonic())
            try:
                msg = await super().get_msg(timeout=remaining)
            except Empty:
                raise
            except Exception as exc:  # noqa: BLE001 - a bad frame is the sender's doing
                self._reject(f"a message that could not be read ({type(exc).__name__})")
                continue
            reason = malformed(msg)
            if reason is None:
                return msg
            self._reject(reason)


class GuardedKernelClient(AsyncKernelClient):
    """A kernel client whose channels bound and check what the kernel sends."""

    shell_channel_class = Type(GuardedChannel)
    iopub_channel_class = Type(GuardedChannel)
    stdin_channel_class = Type(GuardedChannel)
    control_channel_class = Type(GuardedChannel)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Defaults for every socket made from here on: the channels' sockets.
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)

    @property
    def rejected_count(self) -> int:
        """How many messages were dropped as malformed so far."""
        return sum(channel.rejected_count for channel in self._guarded())

    def rejected(self) -> list[str]:
        """Why (the last few of them)."""
        return [reason for channel in self._guarded() for reason in channel.rejected]

    def _guarded(self) -> list[GuardedChannel]:
        names = ("_shell_channel", "_iopub_channel", "_stdin_channel", "_control_channel")
        return [c for c in (getattr(self, name, None) for name in names)
                if isinstance(c, GuardedChannel)]


class GuardedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose clients are :class:`GuardedKernelClient`."""

    client_class = DottedObjectName("kmeans_kit.runner.kernel_channel.GuardedKernelClient")

    async def _async_pre_start_kernel(self, **kw):
        # Without the jail, the kernel would inherit the judge's whole environment.
        from .jail import unjailed_environment

        kw.setdefault("env", unjailed_environment())
        return await super()._async_pre_start_kernel(**kw)
