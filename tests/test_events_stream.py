"""server/events.py on a real uvicorn server on 127.0.0.1: the backlog/live seam under
concurrent writes, replays from the ring and from the database, keep-alive, revocation,
a slow client cut, the hub stopping, refusals and the OpenAPI entry."""
from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from config import DEMO_HALL
from hall.access import Access
from hall.sse import EventStream
from server.app import close_app, create_app


class Served:
    """The hall API app (server.app.create_app) under uvicorn in a thread on 127.0.0.1."""

    def __init__(self, queue, access, keepalive_s=15.0, http="httptools", port=0, **hub_attrs):
        self.app = create_app(queue, queue.config, access=access, keepalive_s=keepalive_s,
                              config_text=DEMO_HALL.read_text(encoding="utf-8"))
        self.hub = self.app.state.event_hub
        for k, v in hub_attrs.items():
            setattr(self.hub, k, v)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on", http=http,
                                                    timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.hub.close_streams("stopping")
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        close_app(self.app)


def ids_of(queue, after=0):
    with queue._lock:
        return [r[0] for r in queue._conn.execute("SELECT id FROM events WHERE id > ? ORDER BY id", (after,))]


def raw_stream(url, token, headers=(), rcvbuf=None, query=""):
    """A plain socket with the request sent: the test reads (or does not read) itself."""
    host, port = url.removeprefix("http://").split(":")
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, int(port)))
    lines = [f"GET /api/v1/events{query} HTTP/1.1", f"Host: {host}", "Accept: text/event-stream"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines += list(headers)
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return s


def read_until(sock, pred, timeout=5.0) -> bytes:
    sock.settimeout(0.2)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return buf + b"<EOF>"
        buf += chunk
        if pred(buf):
            return buf
    return buf


class Got:
    def __init__(self):
        self.ids, self.states, self.cond = [], [], threading.Condition()

    def events(self, batch):
        with self.cond:
            self.ids += [e["id"] for e in batch]
            self.cond.notify_all()

    def state(self, st, why):
        with self.cond:
            self.states.append(st)
            self.cond.notify_all()

    def wait(self, pred, timeout=10):
        with self.cond:
            return self.cond.wait_for(pred, timeout)


class Book:
    """The hall's real Access with two screen tokens: ``tok`` and ``tok2``."""

    def __init__(self, queue):
        self.access = Access(queue)
        self.tok = self.access.add_device("screen-1", "screen")
        self.tok2 = self.access.add_device("screen-2", "screen")


@pytest.fixture
def book(queue):
    b = Book(queue)
    yield b
    b.access.close()


# httptools: the fan-out writes to the transport itself; h11: every write through ASGI send
HTTP = ["httptools", "h11"]


@pytest.mark.parametrize("http", HTTP)
def test_backlog_then_live_with_no_gap_or_double_under_concurrent_writes(queue, book, http, monkeypatch):
    import server.events
    monkeypatch.setattr(server.events, "PAGE", 7)  # replays from the database in several pages
    # one stream a loop turn: fan-outs interleave while streams come (the set reorders)
    monkeypatch.setattr(server.events, "FANOUT_SLICE", 1)
    for _ in range(30):
        queue.issue("A")
    with Served(queue, book.access, http=http, ring_size=8) as srv:  # a tiny ring: old replays come from the database
        stop = threading.Event()

        def writer():
            for i in range(2000):
                if stop.is_set():
                    break
                if i % 3:
                    queue.log_event("printer", n=i)  # the issue's own event, and others
                else:
                    queue.issue("B")
                time.sleep(0.002)

        w = threading.Thread(target=writer)
        w.start()
        streams, gots = [], []
        try:
            for after in (0, 5, 25, None, 3, None, 10, None, 1, 20, None, 2):  # database, ring, live only
                time.sleep(0.02)
                got = Got()
                start = after if after is not None else None
                st = EventStream(srv.url, book.tok, start, got.events, got.state, backoff_s=0.05)
                if after is None:
                    # no Last-Event-ID: the stream starts at the moment it opens
                    st.last_id = None
                streams.append((after, st.start()))
                gots.append(got)
            assert all(g.wait(lambda g=g: "connected" in g.states) for g in gots)
            time.sleep(0.3)  # live events for every stream
            assert all(s.direct == (http == "httptools") for s in srv.hub.streams)
        finally:
            stop.set()
            w.join()
        queue.issue("A")  # one more after the writer: even the live-only stream has one
        last = queue.last_event_id()
        for (after, st), got in zip(streams, gots):
            assert got.wait(lambda: got.ids and got.ids[-1] == last), (after, got.ids[-3:], last)
            st.stop()
            first = after if after is not None else got.ids[0] - 1
            assert got.ids == ids_of(queue, first), after
        assert srv.hub.cut == 0


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(queue, book):
    with Served(queue, book.access) as srv:
        base = queue.last_event_id()
        s = raw_stream(srv.url, book.tok, headers=[f"Last-Event-ID: {base}"])
        queue.issue("A")
        queue.issue("A")
        buf = read_until(s, lambda b: b.count(b"\nid: ") + b.startswith(b"id: ") >= 2 or b.count(b"id: ") >= 2)
        s.close()
        assert b"HTTP/1.1 200" in buf and b"text/event-stream" in buf and b"retry: 2000" in buf
        seen = [int(line[4:]) for line in buf.split(b"\n") if line.startswith(b"id: ")]
        assert seen == [base + 1, base + 2]
        for _ in range(3):  # while away
            queue.issue("B")
        got = Got()
        st = EventStream(srv.url, book.tok, seen[-1], got.events, got.state).start()
        try:
            assert got.wait(lambda: len(got.ids) >= 3)
            queue.issue("A")  # then live
            assert got.wait(lambda: len(got.ids) >= 4)
            time.sleep(0.1)
        finally:
            st.stop()
        assert got.ids == ids_of(queue, seen[-1])


def test_after_query_and_event_json_shape(queue, book):
    t = queue.issue("A")
    with Served(queue, book.access) as srv:
        s = raw_stream(srv.url, book.tok, query="?after=0")
        buf = read_until(s, lambda b: b'"issued"' in b)
        s.close()
    frame = [line for line in buf.split(b"\n") if line.startswith(b"data: ") and b'"issued"' in line][0]
    event = json.loads(frame[6:])
    assert event["kind"] == "issued" and event["number"] == t.number and event["ticket_id"] == t.id


@pytest.mark.parametrize("http", HTTP)
def test_keepalive_comment_when_quiet(queue, book, http):
    with Served(queue, book.access, keepalive_s=0.2, http=http) as srv:
        s = raw_stream(srv.url, book.tok)
        t0 = time.monotonic()
        buf = read_until(s, lambda b: b.count(b": keep-alive") >= 2, timeout=3)
        s.close()
        assert buf.count(b": keep-alive") >= 2
        assert 0.3 < time.monotonic() - t0 < 2


def _session(book, staff="0517"):
    book.access.add_staff(staff, "张三", "staff", "secret-pass-1")
    return book.access.login(staff, "secret-pass-1", window=1).token


REVOKE = {
    "device revoked": (lambda book: book.tok, lambda book, tok: book.access.revoke_device("screen-1")),
    "staff disabled": (_session, lambda book, tok: book.access.disable_staff("0517")),
    "session logout": (_session, lambda book, tok: book.access.logout(tok)),
    "password changed": (_session, lambda book, tok: book.access.set_password("0517", "another-pass-2")),
}


def test_the_client_resumes_across_a_server_restart_with_exactly_the_missed_events(queue, book):
    got = Got()
    srv = Served(queue, book.access).__enter__()
    port = int(srv.url.rsplit(":", 1)[1])
    st = EventStream(srv.url, book.tok, queue.last_event_id(), got.events, got.state, backoff_s=0.05,
                     max_backoff_s=0.2).start()
    try:
        assert got.wait(lambda: "connected" in got.states)
        first = queue.last_event_id()
        for _ in range(3):
            queue.issue("A")
        assert got.wait(lambda: len(got.ids) == 3)
        srv.__exit__()  # the server stops: the stream ends
        assert got.wait(lambda: "disconnected" in got.states)
        for _ in range(4):  # while it is down (a keypad, `jiaohao queue` …)
            queue.issue("B")
        # the next server, as a new process would: its own Access (close_app closed the first)
        srv = Served(queue, Access(queue), port=port).__enter__()
        assert got.wait(lambda: len(got.ids) >= 7)
        queue.issue("A")  # and live again
        assert got.wait(lambda: len(got.ids) >= 8)
        time.sleep(0.1)
    finally:
        st.stop()
        srv.__exit__()
    assert got.ids == ids_of(queue, first)
    assert got.states == ["connected", "disconnected", "connected", "stopped"]


@pytest.mark.parametrize("how", REVOKE)
def test_revocation_closes_that_stream_at_once_and_only_it(queue, book, how):
    token_of, revoke = REVOKE[how]
    tok = token_of(book)
    with Served(queue, book.access, keepalive_s=30) as srv:
        a, b = raw_stream(srv.url, tok), raw_stream(srv.url, book.tok2)
        read_until(a, lambda x: b"retry:" in x)
        read_until(b, lambda x: b"retry:" in x)
        t0 = time.monotonic()
        revoke(book, tok)
        buf = read_until(a, lambda x: x.endswith(b"<EOF>") or x.endswith(b"0\r\n\r\n"), timeout=3)
        took = time.monotonic() - t0
        assert buf.endswith(b"0\r\n\r\n") or buf.endswith(b"<EOF>")  # the response ended
        assert took < 1.0
        queue.issue("A")
        still = read_until(b, lambda x: b'"issued"' in x)
        assert b'"issued"' in still
        a.close()
        b.close()
        again = raw_stream(srv.url, tok)
        refused = read_until(again, lambda x: b"}}" in x)
        again.close()
        assert b"401" in refused.split(b"\r\n")[0] and b"unauthorized" in refused


@pytest.mark.parametrize("http", HTTP)
def test_a_slow_client_is_cut_and_the_others_keep_up(queue, book, http):
    # httptools: cut past max_buffer bytes in the transport; h11: past max_behind events queued
    with Served(queue, book.access, http=http, max_behind=100, max_buffer=256 * 1024) as srv:
        slow = raw_stream(srv.url, book.tok, rcvbuf=4096)  # never reads
        got = Got()
        fast = EventStream(srv.url, book.tok2, queue.last_event_id(), got.events, got.state).start()
        try:
            assert got.wait(lambda: "connected" in got.states)
            deadline = time.monotonic() + 20
            n = 0
            while srv.hub.cut == 0 and time.monotonic() < deadline:
                queue.log_event("printer", pad="纸" * 4000)  # ~12 KB an event
                n += 1
                time.sleep(0.002)
            assert srv.hub.cut == 1, n
            last = queue.last_event_id()
            assert got.wait(lambda: got.ids and got.ids[-1] == last)
            assert len(got.ids) == n
            deadline = time.monotonic() + 3
            while len(srv.hub.streams) != 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(srv.hub.streams) == 1, [(x.name, x.why, x.cut, x.writing_since, x.transport and x.transport.is_closing(), len(x.frames)) for x in srv.hub.streams]  # the slow one is gone
        finally:
            fast.stop()
            slow.close()


def test_a_stopping_server_ends_open_streams_and_takes_no_new_one(queue, book):
    srv = Served(queue, book.access).__enter__()
    try:
        s = raw_stream(srv.url, book.tok)
        read_until(s, lambda x: b"retry:" in x)
        t0 = time.monotonic()
        srv.hub.close_streams("the server is stopping")
        buf = read_until(s, lambda x: x.endswith(b"0\r\n\r\n") or x.endswith(b"<EOF>"), timeout=3)
        assert buf.endswith(b"0\r\n\r\n") or buf.endswith(b"<EOF>")
        s.close()
        late = httpx.get(srv.url + "/api/v1/events", headers={"Authorization": f"Bearer {book.tok}"}, timeout=5)
        assert late.status_code == 503 and late.json()["error"]["message_en"]
    finally:
        srv.__exit__()
    assert not srv.thread.is_alive() and time.monotonic() - t0 < 5


def test_the_hub_stopped_at_once_ends_every_stream_and_closes_the_writer_s_sockets(queue, book):
    """hub.stop() without close_streams() first: the writer thread goes at once, so the
    streams it held end (their connections dropped) and its duplicate descriptors close."""
    import os
    with Served(queue, book.access) as srv:
        fds_before = len(os.listdir("/proc/self/fd"))
        socks = [raw_stream(srv.url, tok) for tok in (book.tok, book.tok2)]
        for s in socks:
            read_until(s, lambda x: b"retry:" in x)
        deadline = time.monotonic() + 3
        while not all(x.direct for x in srv.hub.streams) or len(srv.hub.streams) < 2:
            assert time.monotonic() < deadline, "the streams were not adopted by the writer"
            time.sleep(0.02)
        srv.hub.stop()
        for s in socks:
            buf = read_until(s, lambda x: x.endswith(b"0\r\n\r\n") or x.endswith(b"<EOF>"), timeout=3)
            assert buf.endswith(b"0\r\n\r\n") or buf.endswith(b"<EOF>")
            s.close()
        deadline = time.monotonic() + 3
        while len(os.listdir("/proc/self/fd")) > fds_before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(os.listdir("/proc/self/fd")) <= fds_before


@pytest.mark.parametrize("headers,status,code", [
    ({}, 401, b"unauthorized"),
    ({"Authorization": "Bearer nope"}, 401, b"unauthorized"),
    ({"Authorization": "Basic abc"}, 401, b"unauthorized"),
    ({"Authorization": "TOKEN", "Last-Event-ID": "abc"}, 400, b"invalid"),
    ({"Authorization": "TOKEN", "Last-Event-ID": "-3"}, 400, b"invalid"),
])
def test_refusals(queue, book, headers, status, code):
    headers = {k: v.replace("TOKEN", f"Bearer {book.tok}") for k, v in headers.items()}
    with Served(queue, book.access) as srv:
        r = httpx.get(srv.url + "/api/v1/events", headers=headers, timeout=5)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code.decode()
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]


def test_openapi_documents_the_stream(queue, book):
    app = create_app(queue, queue.config, access=book.access, config_text=DEMO_HALL.read_text(encoding="utf-8"))
    doc = app.openapi()
    close_app(app)
    op = doc["paths"]["/api/v1/events"]["get"]
    assert "text/event-stream" in op["responses"]["200"]["content"]
    names = {p["name"] for p in op["parameters"]}
    assert {"after", "Last-Event-ID"} <= names


def test_a_damaged_event_row_is_passed_over_in_replays_and_live(queue, book):
    base = queue.last_event_id()
    for _ in range(4):
        queue.issue("A")
    bad = base + 2
    with queue._lock:
        queue._conn.execute("UPDATE events SET data = 'not json' WHERE id = ?", (bad,))
    with Served(queue, book.access, ring_size=2) as srv:  # the replay comes from the database
        got = Got()
        st = EventStream(srv.url, book.tok, base, got.events, got.state).start()
        try:
            assert got.wait(lambda: len(got.ids) >= 3)
            with queue._lock:  # a live one that lands damaged
                queue._conn.execute("INSERT INTO events (at, day, kind, window, ticket_id, number, service, data) "
                                    "SELECT at, day, kind, window, ticket_id, number, service, 'x' FROM events "
                                    "WHERE id = ?", (base + 1,))
            queue.issue("A")
            assert got.wait(lambda: len(got.ids) >= 4)
            time.sleep(0.1)
        finally:
            st.stop()
    assert got.ids == [base + 1, base + 3, base + 4, base + 6]  # not 2 nor 5


def test_an_expired_session_s_stream_ends_at_the_next_check(queue, book, clock):
    book.access.add_staff("0517", "张三", "staff", "secret-pass-1")
    tok = book.access.login("0517", "secret-pass-1", window=1, hours=1).token
    with Served(queue, book.access, recheck_every_s=0.5) as srv:
        s = raw_stream(srv.url, tok)
        read_until(s, lambda x: b"retry:" in x)
        time.sleep(1.2)
        assert len(srv.hub.streams) == 1  # valid: kept
        clock.advance(hours=1, seconds=1)  # no event says so: the session just ran out
        buf = read_until(s, lambda x: x.endswith(b"0\r\n\r\n") or x.endswith(b"<EOF>"), timeout=4)
        s.close()
        assert buf.endswith(b"0\r\n\r\n") or buf.endswith(b"<EOF>")


def test_a_write_stalled_past_stall_s_is_cut_on_the_send_path(queue, book):
    with Served(queue, book.access, http="h11", max_behind=10**6, stall_s=1.0) as srv:
        slow = raw_stream(srv.url, book.tok, rcvbuf=4096)  # never reads
        try:
            read_until(slow, lambda x: b"retry:" in x)
            deadline = time.monotonic() + 30
            blocked = None
            while srv.hub.cut == 0 and time.monotonic() < deadline:
                queue.log_event("printer", pad="纸" * 4000)  # events keep coming: its writes stay blocked
                time.sleep(0.01)
                if blocked is None and any(s.writing_since for s in srv.hub.streams):
                    blocked = time.monotonic()
            assert srv.hub.cut == 1 and blocked is not None
            assert time.monotonic() - blocked > 0.9  # not before stall_s
            while srv.hub.streams and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not srv.hub.streams
        finally:
            slow.close()


def test_interleaved_fan_outs_keep_each_stream_in_order(queue, book, monkeypatch):
    """Fan-outs one stream a loop turn, a new one every millisecond, while streams come and
    go (the hub's set of streams reorders between two fan-outs): each stream in order."""
    import server.events
    monkeypatch.setattr(server.events, "FANOUT_SLICE", 1)
    monkeypatch.setattr(server.events, "POLL_S", 0.001)
    with Served(queue, book.access, fanout_every_s=0.0) as srv:
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                queue.log_event("printer", n=1)

        w = threading.Thread(target=writer)
        w.start()
        gots, streams, churn = [], [], []
        try:
            for i in range(10):
                got = Got()
                streams.append(EventStream(srv.url, book.tok, queue.last_event_id(), got.events, got.state).start())
                gots.append(got)
                for _ in range(3):  # streams that come and go
                    c = raw_stream(srv.url, book.tok2)
                    churn.append(c)
                while len(churn) > 6:
                    churn.pop(0).close()
                time.sleep(0.05)
            time.sleep(0.3)
        finally:
            stop.set()
            w.join()
            for c in churn:
                c.close()
        last = queue.last_event_id()
        for st, got in zip(streams, gots):
            assert got.wait(lambda: got.ids and got.ids[-1] == last)
            st.stop()
            # the client drops an id at or below the last it delivered: a disorder shows as a gap
            assert got.ids == ids_of(queue, got.ids[0] - 1)
