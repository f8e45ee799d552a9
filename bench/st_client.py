"""A small Streamlit client for benchmarks: it speaks the app's websocket protocol with streamlit's
own protobufs (BackMsg out, ForwardMsg in), so a server can be measured without browsers.

A `Session` opens like a browser tab (one script run), learns the sidebar form's widgets from the
elements the server sends, and presses the form's submit button with new values, sending every
form widget's value the way the browser does (text as string_value, sliders as
double_array_value, number inputs as double_value, radios as their shown label).
"""

from __future__ import annotations

import os
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

WIDGETS = ("text_input", "slider", "number_input", "radio", "button")


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Session:
    """One Streamlit session over a websocket."""

    def __init__(self, ws):
        self.ws = ws
        self.page_hash = ""
        self.widgets: dict[str, tuple[str, object]] = {}  # label -> (kind, element proto)
        self.values: dict[str, WidgetState] = {}  # label -> the value last sent

    @classmethod
    async def open(cls, url: str, query: str = "") -> "Session":
        ws = await websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                      origin=url, max_size=None, ping_interval=None, compression=None)
        session = cls(ws)
        await session.rerun(query=query)
        await session.until_finished(time.perf_counter())
        return session

    async def close(self) -> None:
        await self.ws.close()

    async def rerun(self, states: list[WidgetState] = (), query: str = "") -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(states)
        await self.ws.send(msg.SerializeToString())

    async def until_finished(self, sent: float) -> dict:
        """Read messages until the script run finishes: bytes received, seconds from `sent` to the
        player's element (its first frame's data), and any exception shown."""
        received, first_frame, error = 0, None, None
        while True:
            data = await self.ws.recv()
            received += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                if what in WIDGETS:
                    proto = getattr(element, what)
                    self.widgets[proto.label] = (what, proto)
                elif what == "component_instance" and first_frame is None:
                    first_frame = time.perf_counter() - sent
                elif what == "exception":
                    error = element.exception.message
            elif kind == "script_finished":
                return {"bytes": received, "first_frame_s": first_frame, "error": error}

    def _state(self, label: str, value=None) -> WidgetState:
        """The widget's state to send: `value` if given, else what was last sent, else its default."""
        kind, proto = self.widgets[label]
        if value is None and label in self.values:
            state = WidgetState()
            state.CopyFrom(self.values[label])
            state.id = proto.id  # an unkeyed widget's id can change between runs
            return state
        state = WidgetState(id=proto.id)
        if kind == "text_input":
            state.string_value = str(value if value is not None else
                                     (proto.value if proto.HasField("value") else proto.default))
        elif kind == "slider":
            state.double_array_value.data.extend([float(value)] if value is not None else
                                                 list(proto.value) or list(proto.default))
        elif kind == "number_input":
            state.double_value = float(value if value is not None else
                                       (proto.value if proto.HasField("value") else proto.default))
        elif kind == "radio":
            state.string_value = str(value) if value is not None else proto.options[proto.default]
        self.values[label] = state
        return state

    async def generate(self, submit: str = "Generate ▶", **changes) -> dict:
        """Press the form's submit button with `changes` (by label) over the current values."""
        states = []
        form = self.widgets[submit][1].form_id
        for label, (kind, proto) in self.widgets.items():
            if kind != "button" and getattr(proto, "form_id", "") == form:
                states.append(self._state(label, changes.get(label)))
        states.append(WidgetState(id=self.widgets[submit][1].id, trigger_value=True))
        sent = time.perf_counter()
        await self.rerun(states)
        return await self.until_finished(sent)
