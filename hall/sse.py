"""The hall's event stream from the client side: Server-Sent Events over HTTP (httpx) in a
background thread, for the apps that use a remote hall (docs/api.md, "The event stream").

:class:`SSEParser` turns bytes into messages (the WHATWG event-stream format: lines ended
by CRLF, LF or CR, split anywhere; multi-line ``data``; comments; ``id``; ``retry``).
:class:`EventStream` keeps one stream open: it resumes with ``Last-Event-ID`` after any
break, delivers each event once and in order, notices a silent peer, and stops for good
on a 401 (the credential was revoked).
"""
from __future__ import annotations

import codecs
import json
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

import httpx

log = logging.getLogger(__name__)

CONNECTING = "connecting"  # before the first answer (never reported)
CONNECTED = "connected"
DISCONNECTED = "disconnected"
REVOKED = "revoked"  # a 401: the stream has stopped for good
STOPPED = "stopped"  # stop() was called


@dataclass(frozen=True)
class SSEMessage:
    """One dispatched message. ``id`` is the stream's last event id when it was dispatched."""

    data: str
    id: str | None = None
    event: str = "message"


class SSEParser:
    """Bytes in (any split), messages out; also keeps the stream's ``retry`` in milliseconds."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""  # the current line so far
        self._after_cr = False  # the last chunk ended in CR: a leading LF is the same line end
        self._first = True  # a BOM may open the stream
        self._data: list[str] = []
        self._event = ""
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        text = self._decoder.decode(chunk)
        if self._first and text:
            self._first = False
            if text[0] == "\ufeff":
                text = text[1:]
        if self._after_cr and text:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
        out: list[SSEMessage] = []
        start = 0
        n = len(text)
        while start < n:
            cr, lf = text.find("\r", start), text.find("\n", start)
            if cr < 0 and lf < 0:
                self._text += text[start:]
                break
            end = lf if cr < 0 or (0 <= lf < cr) else cr
            line = self._text + text[start:end]
            self._text = ""
            start = end + 1
            if end == cr:
                if start < n:
                    if text[start] == "\n":
                        start += 1
                else:
                    self._after_cr = True
            msg = self._line(line)
            if msg is not None:
                out.append(msg)
        return out

    def _line(self, line: str) -> SSEMessage | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            self.comments += 1
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SSEMessage | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SSEMessage("\n".join(data), self.last_id, event or "message")


class EventStream:
    """One live event stream of the hall, kept open in a background thread.

    ``on_events(list_of_event_dicts)`` gets each event (``hall.models.Event.to_json()``)
    exactly once, in id order, after ``after``; ``on_state(state, reason)`` gets each
    change among :data:`CONNECTED`, :data:`DISCONNECTED`, :data:`REVOKED` and
    :data:`STOPPED`. Both are called from the stream's own thread (a Qt app hands them to
    its GUI thread). ``last_id`` is the id of the last event delivered.
    """

    def __init__(self, base_url: str, token: str | None, after: int | None,
                 on_events: Callable[[list[dict]], None],
                 on_state: Callable[[str, str], None] | None = None, *,
                 keepalive_s: float = 15.0, connect_timeout_s: float = 3.0,
                 backoff_s: float = 0.25, max_backoff_s: float = 5.0,
                 path: str = "/api/v1/events", transport: httpx.BaseTransport | None = None) -> None:
        self.url = base_url.rstrip("/") + path
        self.token = token
        self.last_id = after
        self.on_events = on_events
        self.on_state = on_state
        self.keepalive_s = keepalive_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.state = CONNECTING
        self.reason = ""
        self.connects = 0  # successful connections (a reconnect adds one)
        self._timeout = httpx.Timeout(connect=connect_timeout_s, read=2.5 * keepalive_s,
                                      write=connect_timeout_s, pool=connect_timeout_s)
        self._transport = transport
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._retry_cap: float | None = None

    # -- life ---------------------------------------------------------------
    def start(self) -> "EventStream":
        self._thread = threading.Thread(target=self._run, name="jiaohao-sse", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the stream and wait for its thread (never calls back after this returns)."""
        self._stop.set()
        self._break_socket()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        if self.state != REVOKED:
            self._set_state(STOPPED, "stopped")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def reconnect(self) -> None:
        """Drop the current connection (the stream resumes from ``last_id``)."""
        self._break_socket()

    # -- the thread -----------------------------------------------------------
    def _run(self) -> None:
        failures = 0
        with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    outcome = self._session(client)
                except (httpx.HTTPError, OSError) as e:
                    outcome = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                except Exception as e:  # a callback's fault: keep the stream, say it once
                    log.exception("event stream %s: %s", self.url, e)
                    outcome = f"error: {e}"
                if outcome == REVOKED or self._stop.is_set():
                    break
                self._set_state(DISCONNECTED, outcome)
                # a stream that ran a while starts the back-off again
                failures = 0 if time.monotonic() - started > 10 * self.backoff_s + 5 else failures + 1
                cap = self._retry_cap if self._retry_cap is not None else self.max_backoff_s
                delay = min(cap, self.backoff_s * 2 ** max(failures - 1, 0))
                self._stop.wait(delay * random.uniform(0.8, 1.2))

    def _session(self, client: httpx.Client) -> str:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        with client.stream("GET", self.url, headers=headers) as resp:
            if resp.status_code == 401:
                self._set_state(REVOKED, _refusal(resp))
                self._stop.set()
                return REVOKED
            if resp.status_code != 200:
                return f"HTTP {resp.status_code}: {_refusal(resp)}"
            ctype = resp.headers.get("content-type", "")
            if not ctype.startswith("text/event-stream"):
                return f"not an event stream ({ctype or 'no content type'})"
            self._hold_socket(resp)
            try:
                if self._stop.is_set():
                    return STOPPED
                self.connects += 1
                self._set_state(CONNECTED, "")
                parser = SSEParser()
                for chunk in resp.iter_raw():
                    if self._stop.is_set():
                        return STOPPED
                    batch = self._events(parser.feed(chunk))
                    if parser.retry_ms is not None:
                        self._retry_cap = max(parser.retry_ms / 1000.0, self.backoff_s)
                    if batch:
                        self.on_events(batch)
                        self.last_id = batch[-1]["id"]
                return "the server closed the stream"
            finally:
                self._hold_socket(None)

    def _events(self, messages: list[SSEMessage]) -> list[dict]:
        batch: list[dict] = []
        last = self.last_id
        for m in messages:
            try:
                event = json.loads(m.data)
                event_id = int(m.id) if m.id is not None else int(event["id"])
            except (ValueError, TypeError, KeyError) as e:
                log.warning("event stream %s: a message that is not an event was passed over (%s)",
                            self.url, e)
                continue
            if last is not None and event_id <= last:
                continue  # already delivered (a replay that overlaps)
            if isinstance(event, dict):
                event.setdefault("id", event_id)
            batch.append(event)
            last = event_id
        return batch

    # -- helpers ------------------------------------------------------------
    def _set_state(self, state: str, reason: str) -> None:
        if state == self.state and reason == self.reason:
            return
        changed = state != self.state
        self.state, self.reason = state, reason
        if changed:
            if state == DISCONNECTED and reason:
                log.info("event stream %s: disconnected (%s)", self.url, reason)
            if self.on_state is not None:
                try:
                    self.on_state(state, reason)
                except Exception:
                    log.exception("event stream %s: state callback failed", self.url)

    def _hold_socket(self, resp: httpx.Response | None) -> None:
        sock = None
        if resp is not None:
            stream = resp.extensions.get("network_stream")
            if stream is not None:
                try:
                    sock = stream.get_extra_info("socket")
                except Exception:
                    sock = None
        with self._sock_lock:
            self._sock = sock

    def _break_socket(self) -> None:
        with self._sock_lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _refusal(resp: httpx.Response) -> str:
    """The server's message in a refusal body (docs/api.md "Errors"), or its status line."""
    try:
        resp.read()
        body = resp.json()
        return str(body["error"].get("message_en") or body["error"]["message"])
    except Exception:
        return resp.reason_phrase or str(resp.status_code)
