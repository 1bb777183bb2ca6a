"""A browser-like Streamlit session over the app's websocket, for load tests and the benchmark.

It speaks what the browser speaks: connect to `/_stcore/stream`, ask for a page (`rerun_script`
with the page's URL path and a query string), then read the server's messages until the script
run finishes. From those it keeps what a test needs: exceptions, error boxes, metric tiles and how
many elements arrived. No Chromium, so twenty sessions cost the server, not the test machine.

    async with StreamlitSession("http://127.0.0.1:8501") as session:
        run = await session.open("funnel", "period=last_quarter&segment=smb")
        assert not run.exceptions and not run.errors
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "rerun",
}


@dataclass
class PageRun:
    """What one script run sent back."""

    page: str
    query: str
    started: float  # time.monotonic() when the request went out
    seconds: float = 0.0
    status: str = "timeout"
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)  # label -> value shown
    titles: list[str] = field(default_factory=list)
    elements: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.exceptions and not self.errors


class StreamlitSession:
    """One browser tab's session with a running Streamlit server."""

    def __init__(self, base_url: str, timeout_s: float = 300.0):
        self.url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.timeout_s = timeout_s
        self._ws = None
        self.pages: dict[str, str] = {}  # url path -> page script hash

    async def __aenter__(self) -> StreamlitSession:
        self._ws = await websockets.connect(
            self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60, ping_interval=None
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self._ws.close()

    async def open(self, page: str, query: str = "") -> PageRun:
        """Run `page` (its URL path, e.g. "funnel"; "" for the default) with a query string."""
        message = BackMsg()
        message.rerun_script.query_string = query
        message.rerun_script.page_name = page
        if page in self.pages:
            message.rerun_script.page_script_hash = self.pages[page]
        run = PageRun(page, query, time.monotonic())
        await self._ws.send(message.SerializeToString())
        try:
            await asyncio.wait_for(self._read_until_finished(run), self.timeout_s)
        except TimeoutError:
            run.status = "timeout"
        run.seconds = time.monotonic() - run.started
        return run

    async def _read_until_finished(self, run: PageRun) -> None:
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self._ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {msg.page_not_found.page_name}")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._keep(run, msg.delta.new_element)
            elif kind == "script_finished":
                status = FINISHED.get(msg.script_finished, "other")
                if status == "rerun":  # the app reran itself (st.rerun): the real run follows
                    continue
                run.status = status
                return

    @staticmethod
    def _keep(run: PageRun, element) -> None:
        run.elements += 1
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            run.errors.append(element.alert.body)
        elif kind == "alert" and element.alert.format == Alert.WARNING:
            run.warnings.append(element.alert.body)
        elif kind == "metric":
            run.metrics[element.metric.label] = element.metric.body
        elif kind == "heading":
            run.titles.append(element.heading.body)
