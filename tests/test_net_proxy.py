"""The fault proxy of the network tests on its own, in front of a small HTTP server on
127.0.0.1: it passes, delays, drops a response after the server acted, cuts open
connections, refuses for a while, and stops by itself."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.fault_proxy import FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.append((self.path, body))
        self._answer(f"done {len(self.server.posts)}".encode())

    def do_GET(self) -> None:
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            try:
                for i in range(100):  # at most 10 s
                    self.wfile.write(f"data: {i}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                self.server.streams_broken += 1
            return
        self._answer(b"hello")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def origin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.posts, server.streams_broken = [], 0
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(origin):
    p = FaultProxy(origin.server_address[1], lifetime_s=30)
    p.start()
    yield p
    p.stop()


def test_passes_requests_and_answers_through(proxy, origin):
    with httpx.Client(base_url=proxy.url, timeout=5) as c:
        assert c.get("/x").text == "hello"
        assert c.post("/tickets", content=b"A").text == "done 1"
        assert c.post("/tickets", content=b"B").text == "done 2"
    assert origin.posts == [("/tickets", b"A"), ("/tickets", b"B")]
    assert proxy.stats.requests == [("GET", "/x"), ("POST", "/tickets"), ("POST", "/tickets")]


def test_drops_the_response_after_the_server_acted(proxy, origin):
    rule = proxy.drop_responses(1, match=lambda method, path: method == "POST")
    with httpx.Client(base_url=proxy.url, timeout=5) as c:
        assert c.get("/x").text == "hello"  # a GET does not match
        with pytest.raises(httpx.TransportError):
            c.post("/tickets", content=b"A")
        assert origin.posts == [("/tickets", b"A")]  # it arrived and was acted on
        assert proxy.pending(rule) == 0
        assert c.post("/tickets", content=b"B").text == "done 2"  # the next one passes
    assert proxy.stats.dropped == [("POST", "/tickets")]


def test_delays_responses_and_a_short_client_timeout_fires(proxy, origin):
    proxy.delay_responses(0.6, count=1)
    with httpx.Client(base_url=proxy.url, timeout=5) as c:
        t0 = time.monotonic()
        assert c.get("/x").text == "hello"
        assert time.monotonic() - t0 >= 0.55
        t0 = time.monotonic()
        assert c.get("/x").text == "hello"  # count=1: the next one is not held
        assert time.monotonic() - t0 < 0.5
    proxy.delay_responses(2.0, count=1)
    with httpx.Client(base_url=proxy.url, timeout=0.3) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post("/tickets", content=b"slow")
    assert origin.posts == [("/tickets", b"slow")]  # the server acted; the client gave up


def test_cut_ends_an_open_stream(proxy, origin):
    got: list[str] = []
    ended: list[BaseException | None] = []

    def read():
        try:
            with httpx.Client(base_url=proxy.url, timeout=5) as c, c.stream("GET", "/stream") as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        got.append(line)
            ended.append(None)
        except httpx.HTTPError as e:
            ended.append(e)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(got) >= 2
    assert proxy.cut() == 1
    t.join(5)
    assert not t.is_alive() and ended  # the reader saw its stream end
    assert len(got) < 50


def test_stall_keeps_a_stream_open_and_silent_while_new_connections_pass(proxy, origin):
    got: list[str] = []
    errors: list[BaseException] = []

    def read():
        try:
            with httpx.Client(base_url=proxy.url, timeout=httpx.Timeout(5, read=1.0)) as c, \
                    c.stream("GET", "/stream") as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        got.append(line)
        except httpx.HTTPError as e:
            errors.append(e)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.stall() == 1
    seen = len(got)
    t.join(5)
    assert not t.is_alive()
    assert errors and isinstance(errors[0], httpx.ReadTimeout)  # silence, not a closed connection
    assert len(got) <= seen + 1
    assert httpx.get(f"{proxy.url}/x", timeout=2).text == "hello"  # a new connection passes


def test_refuses_for_a_while_then_listens_again(proxy, origin):
    proxy.refuse(0.8)
    t0 = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{proxy.url}/x", timeout=2)
    deadline = t0 + 5
    while time.monotonic() < deadline:
        try:
            assert httpx.get(f"{proxy.url}/x", timeout=2).text == "hello"
            break
        except httpx.ConnectError:
            time.sleep(0.05)
    else:
        pytest.fail("the proxy did not listen again")
    assert time.monotonic() - t0 >= 0.7


def test_a_server_that_is_down_is_a_closed_connection(origin):
    port = origin.server_address[1]
    origin.shutdown()
    origin.server_close()
    with FaultProxy(port, lifetime_s=10) as p:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{p.url}/x", timeout=2)
        assert p.stats.refused_upstream == 1


def test_stops_by_itself_after_its_lifetime(origin):
    p = FaultProxy(origin.server_address[1], lifetime_s=0.5)
    p.start()
    assert httpx.get(f"{p.url}/x", timeout=2).text == "hello"
    deadline = time.monotonic() + 5
    while p.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not p.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{p.url}/x", timeout=2)
    p.stop()  # harmless when already stopped


def test_forwards_to_the_loopback_only():
    with pytest.raises(ValueError):
        FaultProxy(80, target_host="10.0.0.5")
