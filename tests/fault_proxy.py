"""A fault-injecting TCP proxy on 127.0.0.1 for the network tests.

It sits between an HTTP/1.1 client and a server and, on the test's word:

- passes everything through (the default);
- delays the responses to matching requests (a slow network, or a time-out when the
  delay is longer than the client waits);
- drops the response to a matching request *after the server has answered it*: the
  server acted, the client never hears (the case ``Idempotency-Key`` is for);
- cuts every open connection at once (an event stream included);
- stalls every open connection: it stays open but nothing more passes either way (a
  cable pulled between two switches: no FIN, no RST; only a keep-alive shows it);
- refuses connections for N seconds (it stops listening, then listens again).

Requests are told apart by their request line (``POST /api/v1/tickets``): a request
starts with the first client bytes after the previous response began (HTTP/1.1 without
pipelining, as httpx sends). The proxy runs an asyncio loop on its own thread, bounded:
it stops by itself after ``lifetime_s`` and on :meth:`stop`.
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Callable

Match = Callable[[str, str], bool]  # (method, path) -> act on this request?


def any_request(method: str, path: str) -> bool:
    return True


@dataclass
class Rule:
    """A fault for the next ``count`` matching requests (None: every one)."""

    action: str  # "drop" | "delay"
    match: Match = any_request
    count: int | None = 1
    seconds: float = 0.0


@dataclass(eq=False)
class _Conn:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    in_request: bool = False
    request: tuple[str, str] = ("", "")
    rule: Rule | None = None
    stalled: bool = False

    def abort(self) -> None:
        for w in (self.client, self.server):
            w.transport.abort()


@dataclass
class ProxyStats:
    connections: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    delayed: list[tuple[str, str]] = field(default_factory=list)
    refused_upstream: int = 0  # connections the server refused (it was down)
    cuts: int = 0
    stalled: int = 0  # connections stalled


class FaultProxy:
    """``FaultProxy(server_port).start()`` → the proxy's port on 127.0.0.1."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", lifetime_s: float = 120.0,
                 port: int = 0):
        if target_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy forwards to the loopback only")
        self.target = (target_host, target_port)
        self.lifetime_s = lifetime_s
        self.port = port
        self.stats = ProxyStats()
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._conns: set[_Conn] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._refusing_until = 0.0

    # -- life --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> int:
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as e:  # noqa: BLE001 - handed to start()
                failed.append(e)
                ready.set()
                loop.close()
                return
            loop.call_later(self.lifetime_s, self._shutdown)
            ready.set()
            try:
                loop.run_forever()
            finally:
                for conn in list(self._conns):
                    conn.abort()
                tasks = asyncio.all_tasks(loop)
                for t in tasks:
                    t.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.close()
                self._stopped.set()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failed:
            raise RuntimeError(f"the fault proxy did not start: {failed[0] if failed else 'time-out'}")
        return self.port

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._shutdown)
            except RuntimeError:  # closed meanwhile
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- faults (from the test's thread) -------------------------------------------
    def drop_responses(self, count: int | None = 1, match: Match = any_request) -> Rule:
        """Forward the next ``count`` matching requests, then drop their responses and
        close those connections."""
        return self._add(Rule("drop", match, count))

    def delay_responses(self, seconds: float, count: int | None = None, match: Match = any_request) -> Rule:
        """Hold the responses to the next ``count`` matching requests for ``seconds``."""
        return self._add(Rule("delay", match, count, seconds))

    def clear(self) -> None:
        """Back to passing everything."""
        with self._lock:
            self._rules.clear()

    def pending(self, rule: Rule) -> int | None:
        """How many more requests ``rule`` will act on."""
        with self._lock:
            return rule.count if rule in self._rules else 0

    def cut(self) -> int:
        """Close every open connection now; how many there were."""
        return self._call(self._cut_all)

    def stall(self) -> int:
        """Let nothing more through the connections open now, without closing them; new
        connections pass. How many were stalled."""
        return self._call(self._stall_all)

    def refuse(self, seconds: float) -> None:
        """Cut every connection and refuse new ones for ``seconds`` (stop listening)."""
        self._call(self._refuse, seconds)

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def _call(self, fn, *args):
        if self._loop is None or self._loop.is_closed():
            raise RuntimeError("the fault proxy is not running")

        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5)

    # -- the loop's side -----------------------------------------------------------
    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._cut_all()
        assert self._loop is not None
        self._loop.stop()

    def _cut_all(self) -> int:
        n = len(self._conns)
        for conn in list(self._conns):
            conn.abort()
        self._conns.clear()
        self.stats.cuts += 1
        return n

    def _stall_all(self) -> int:
        n = 0
        for conn in self._conns:
            if not conn.stalled:
                conn.stalled, n = True, n + 1
        self.stats.stalled += n
        return n

    def _refuse(self, seconds: float) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._cut_all()
        assert self._loop is not None
        self._loop.call_later(seconds, lambda: self._loop.create_task(self._relisten()))

    async def _relisten(self) -> None:
        if self._server is None and self._loop is not None and self._loop.is_running():
            await self._listen()

    def _take_rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.match(method, path):
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        try:
            await self._proxy(creader, cwriter)
        except asyncio.CancelledError:  # the proxy stops: a quiet end, not an error in the log
            cwriter.transport.abort()

    async def _proxy(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        try:
            sreader, swriter = await asyncio.open_connection(*self.target)
        except OSError:
            self.stats.refused_upstream += 1
            cwriter.transport.abort()
            return
        conn = _Conn(cwriter, swriter)
        self._conns.add(conn)
        up = asyncio.ensure_future(self._requests(creader, conn))
        down = asyncio.ensure_future(self._responses(sreader, conn))
        try:
            await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (up, down):
                t.cancel()
            conn.abort()
            self._conns.discard(conn)

    async def _requests(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        while data := await reader.read(65536):
            if not conn.in_request:
                line = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                method, path = (line[0], line[1]) if len(line) >= 2 else ("?", "?")
                conn.in_request, conn.request = True, (method, path)
                conn.rule = self._take_rule(method, path)
                self.stats.requests.append(conn.request)
            if conn.stalled:
                continue  # lost on the way
            conn.server.write(data)
            await conn.server.drain()

    async def _responses(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        while data := await reader.read(65536):
            if conn.in_request:  # the first bytes of this request's response
                conn.in_request = False
                rule, conn.rule = conn.rule, None
                if rule is not None and rule.action == "drop":
                    self.stats.dropped.append(conn.request)
                    return  # the server has answered; the client never hears it
                if rule is not None and rule.action == "delay":
                    self.stats.delayed.append(conn.request)
                    await asyncio.sleep(rule.seconds)
            if conn.stalled:
                continue
            conn.client.write(data)
            await conn.client.drain()
