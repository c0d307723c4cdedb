"""hall.sse: the SSE parser on tables of byte chunks, and EventStream against a small
scripted SSE server on 127.0.0.1 (reconnect with Last-Event-ID, dead peer, 401, stop)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hall.sse import CONNECTED, DISCONNECTED, REVOKED, STOPPED, EventStream, SSEMessage, SSEParser

# -- the parser ---------------------------------------------------------------

STREAMS = [
    # (stream text with \n line ends, expected messages, expected retry)
    ("data: hello\n\n", [SSEMessage("hello")], None),
    ("id: 7\ndata: {\"a\": 1}\n\n", [SSEMessage('{"a": 1}', "7")], None),
    ("data: one\ndata: two\n\ndata:three\n\n", [SSEMessage("one\ntwo"), SSEMessage("three")], None),
    (": keep-alive\n\n: another\ndata: x\n\n", [SSEMessage("x")], None),
    ("retry: 2000\n\nid: 1\ndata: a\n\n", [SSEMessage("a", "1")], 2000),
    ("retry: 20x0\n\n", [], None),  # not all digits: ignored
    ("id: 3\n\ndata: b\n\n", [SSEMessage("b", "3")], None),  # an id with no data still sets the id
    ("data\n\n", [SSEMessage("")], None),  # a field with no colon: empty value
    ("data:  two spaces\n\n", [SSEMessage(" two spaces")], None),  # only one space is removed
    ("event: tick\ndata: t\n\n", [SSEMessage("t", None, "tick")], None),
    ("data: 叫号 A023\n\n", [SSEMessage("叫号 A023")], None),  # UTF-8 split anywhere
    ("data: cut\n", [], None),  # no blank line yet: not dispatched
    ("\ufeffdata: bom\n\n", [SSEMessage("bom")], None),
    ("id: 5\x00\ndata: nul\n\n", [SSEMessage("nul")], None),  # an id with NUL is ignored
    ("unknown: field\ndata: u\n\n", [SSEMessage("u")], None),
    ("data: \n\n", [SSEMessage("")], None),
]

ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


def _parse_in_chunks(raw: bytes, cuts: list[int]) -> tuple[list[SSEMessage], SSEParser]:
    p, out, last = SSEParser(), [], 0
    for c in cuts + [len(raw)]:
        out += p.feed(raw[last:c])
        last = c
    return out, p


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("text,expected,retry", STREAMS)
def test_parser_every_split(text, expected, retry, end):
    raw = text.replace("\n", ENDS[end]).encode("utf-8")
    for cut in range(len(raw) + 1):  # every split into two chunks
        got, p = _parse_in_chunks(raw, [cut])
        assert got == expected, (cut, raw)
        assert p.retry_ms == retry
    got, _ = _parse_in_chunks(raw, list(range(1, len(raw))))  # one byte at a time
    assert got == expected


def test_parser_crlf_split_between_cr_and_lf_is_one_line_end():
    p = SSEParser()
    assert p.feed(b"data: a\r") == []
    assert p.feed(b"\n") == []  # the LF belongs to the CR before it: not a blank line
    assert p.feed(b"\r\n") == [SSEMessage("a")]


def test_parser_counts_comments_and_keeps_last_id_across_messages():
    p = SSEParser()
    msgs = p.feed(b": hi\n\nid: 10\ndata: a\n\ndata: b\n\n")
    assert msgs == [SSEMessage("a", "10"), SSEMessage("b", "10")]
    assert p.comments == 1 and p.last_id == "10"


def test_parser_bad_utf8_is_replaced_not_raised():
    assert SSEParser().feed(b"data: \xff\xfe\n\n") == [SSEMessage("\ufffd\ufffd")]


# -- a scripted SSE server ------------------------------------------------------

class ScriptedSSE:
    """Serves events 1..N on /api/v1/events; each connection follows the next plan:
    ``(how_many_events_then, what)`` with what = close | hold | silent | 401 | 503."""

    def __init__(self, events: int, plans: list[tuple[int, str]], *, ignore_last_id: bool = False):
        self.events = [{"id": i, "kind": "called", "number": f"A{i:03d}"} for i in range(1, events + 1)]
        self.plans = list(plans)
        self.ignore_last_id = ignore_last_id
        self.seen_last_ids: list[str | None] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, n: int = 1) -> None:
        with self.lock:
            start = len(self.events) + 1
            self.events += [{"id": i, "kind": "issued", "number": f"B{i:03d}"} for i in range(start, start + n)]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        last = h.headers.get("Last-Event-ID")
        with self.lock:
            self.seen_last_ids.append(last)
            count, what = self.plans.pop(0) if self.plans else (10**9, "hold")
        if what in ("401", "503"):
            body = json.dumps({"error": {"code": "unauthorized", "message": "凭证已吊销",
                                         "message_en": "the token was revoked"}}).encode()
            h.send_response(int(what))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        h.wfile.write(b"retry: 100\n\n")
        after = 0 if (last is None or self.ignore_last_id) else int(last)
        sent = 0
        try:
            while not self.stopping.is_set():
                with self.lock:
                    todo = [e for e in self.events if e["id"] > after]
                for e in todo:
                    if sent >= count:
                        break
                    # each event in two writes: the client must join them
                    frame = f"id: {e['id']}\ndata: {json.dumps(e)}\n\n".encode()
                    h.wfile.write(frame[:7])
                    h.wfile.flush()
                    h.wfile.write(frame[7:])
                    h.wfile.flush()
                    after, sent = e["id"], sent + 1
                if sent >= count and what == "close":
                    return
                if sent >= count and what == "silent":
                    self.stopping.wait(30)
                    return
                h.wfile.write(b": keep-alive\n\n")
                h.wfile.flush()
                time.sleep(0.05)
        except OSError:
            return


class Recorder:
    def __init__(self):
        self.ids: list[int] = []
        self.states: list[tuple[str, str]] = []
        self.cond = threading.Condition()

    def on_events(self, events):
        with self.cond:
            self.ids += [e["id"] for e in events]
            self.cond.notify_all()

    def on_state(self, state, reason):
        with self.cond:
            self.states.append((state, reason))
            self.cond.notify_all()

    def wait(self, pred, timeout=10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(pred, timeout)


def _stream(server, rec, after=0, **kw):
    kw.setdefault("backoff_s", 0.05)
    return EventStream(server.url, "tok", after, rec.on_events, rec.on_state, **kw).start()


def test_reconnects_with_last_event_id_and_delivers_each_event_once_in_order():
    with ScriptedSSE(10, [(4, "close"), (3, "close"), (0, "503")]) as srv:
        rec = Recorder()
        s = _stream(srv, rec, after=0)
        try:
            assert rec.wait(lambda: len(rec.ids) >= 10)
            srv.add(2)  # live events after the catch-up
            assert rec.wait(lambda: len(rec.ids) >= 12)
        finally:
            s.stop()
        assert rec.ids == list(range(1, 13))
        assert srv.seen_last_ids[:4] == ["0", "4", "7", "7"]  # the 503 is retried from the same id
        assert s.last_id == 12 and s.connects == 3
        kinds = [st for st, _ in rec.states]
        assert kinds[0] == CONNECTED and kinds.count(CONNECTED) == 3 and kinds[-1] == STOPPED
        assert [st for st, _ in rec.states].count(DISCONNECTED) == 2  # changes only, not each retry


def test_a_replay_that_overlaps_is_not_delivered_twice():
    with ScriptedSSE(6, [(3, "close")], ignore_last_id=True) as srv:
        rec = Recorder()
        s = _stream(srv, rec, after=1)
        try:
            assert rec.wait(lambda: len(rec.ids) >= 5)
            time.sleep(0.2)
        finally:
            s.stop()
        assert rec.ids == [2, 3, 4, 5, 6]


def test_a_silent_peer_is_noticed_and_left():
    with ScriptedSSE(5, [(2, "silent")]) as srv:
        rec = Recorder()
        t0 = time.monotonic()
        s = _stream(srv, rec, after=0, keepalive_s=0.2)  # nothing for 0.5 s: reconnect
        try:
            assert rec.wait(lambda: len(rec.ids) >= 5)
            took = time.monotonic() - t0
        finally:
            s.stop()
        assert rec.ids == [1, 2, 3, 4, 5]
        assert srv.seen_last_ids[:2] == ["0", "2"]
        assert 0.4 < took < 5
        assert any(st == DISCONNECTED and "Timeout" in r for st, r in rec.states)


def test_401_stops_the_stream_and_says_revoked():
    with ScriptedSSE(3, [(0, "401")]) as srv:
        rec = Recorder()
        s = _stream(srv, rec, after=0)
        assert rec.wait(lambda: any(st == REVOKED for st, _ in rec.states))
        s._thread.join(2)
        assert not s.running
        time.sleep(0.2)
        assert len(srv.seen_last_ids) == 1  # no retry after a 401
        assert rec.states[-1] == (REVOKED, "the token was revoked")
        assert rec.ids == []
        s.stop()
        assert s.state == REVOKED


def test_stop_is_prompt_on_an_open_quiet_stream():
    with ScriptedSSE(1, [(1, "silent")]) as srv:
        rec = Recorder()
        s = _stream(srv, rec, after=None, keepalive_s=60)
        assert rec.wait(lambda: rec.ids == [1])
        t0 = time.monotonic()
        s.stop()
        assert time.monotonic() - t0 < 1.0
        assert not s.running and s.state == STOPPED
        assert srv.seen_last_ids == [None]


def test_unreachable_server_is_reported_and_retried():
    import socket as _s
    sock = _s.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    rec = Recorder()
    s = EventStream(f"http://127.0.0.1:{port}", "tok", 0, rec.on_events, rec.on_state,
                    backoff_s=0.05, max_backoff_s=0.2).start()
    try:
        assert rec.wait(lambda: any(st == DISCONNECTED for st, _ in rec.states), 5)
        assert s.connects == 0
    finally:
        s.stop()
    assert not s.running
