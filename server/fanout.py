"""The event stream's writer thread: the fan-out's socket writes, off the event loop.

Under uvicorn's httptools HTTP/1.1 server an SSE response, once its headers and replay
are out, is nothing but chunks appended to one TCP connection. The writer adopts such a
connection (a duplicate of its descriptor) and from then on every chunk of that stream is
written here with a non-blocking ``send``: the event loop, which answers the API's
requests, no longer spends ~11 µs a stream on each fan-out (1,000 phones: ~11 ms of
every fan-out, in which a call-next waited). The kernel's part of a ``send`` runs
without the GIL, so the loop goes on meanwhile.

What a client has not taken waits here (``pending``); past ``max_buffer`` bytes, or when
nothing was taken for the hub's ``stall_s``, the client is too slow and its connection is
shut down (it reconnects with ``Last-Event-ID`` and loses nothing). Only this thread
touches an adopted descriptor, so closing it can never hit a number the kernel has
already given to another connection. A stream ends politely by :meth:`release`: the
writer flushes what it holds and gives the connection back to the loop, which writes
the end of the response.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import selectors
import socket
import threading
import time
from typing import Any

from hall.thread_priority import lower_thread_priority

log = logging.getLogger(__name__)

# The writer thread runs this many nice levels below serve's other threads, so a request
# that wakes while a fan-out is being written gets the CPU first; the fan-out has 250 ms
# (api_bench, 40 s runs back to back: the server's own call-next p99 12.5 and 11.5 ms with
# it, 20.5 and 16.6 ms without; the phones' p99 143-155 ms either way).
WRITER_NICE_STEP = 10


class FanoutWriter:
    """Writes the chunks of adopted streams to their sockets, on its own thread."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._dirty: set = set()  # streams with something new to write
        self._releases: list = []  # (stream, loop, future): give the connection back
        self._drops: list = []  # streams to forget (closed, cut, detached)
        self._waiting: set = set()  # streams registered for EVENT_WRITE
        self._adopted: set = set()  # streams whose socket this thread holds
        self._woken = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="jiaohao-fanout", daemon=True)
        self._thread.start()

    # -- any thread ---------------------------------------------------------
    @staticmethod
    def can_adopt(transport: Any) -> bool:
        """Whether ``transport`` is a plain (no TLS) socket transport with nothing buffered."""
        return (transport is not None and not transport.is_closing()
                and transport.get_extra_info("sslcontext") is None
                and transport.get_extra_info("socket") is not None
                and transport.get_write_buffer_size() == 0)

    def adopt(self, s: Any, transport: Any) -> bool:
        """Take over the writing of stream ``s`` (on the loop, with nothing of it pending)."""
        try:
            fd = os.dup(transport.get_extra_info("socket").fileno())
        except OSError:
            return False
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        s.sock, s.pending = sock, b""
        with self._lock:
            if self._stopping:
                s.sock = None
                sock.close()
                return False
            self._adopted.add(s)
        return True

    def poke(self, streams) -> None:
        """Streams whose deques have new chunks (the tailer, after a fan-out)."""
        with self._lock:
            self._dirty.update(streams)
            wake, self._woken = not self._woken, True
        if wake:
            self._wake()

    def release(self, s: Any) -> asyncio.Future:
        """Give stream ``s``'s connection back to the loop once what it holds is written;
        the future's result says whether everything was (else the client is cut)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._lock:
            if self._stopping:  # nobody would answer: what it holds is not written
                fut.set_result(False)
                return fut
            self._releases.append((s, loop, fut))
        self._wake()
        return fut

    def drop(self, s: Any) -> None:
        """Forget stream ``s`` and close its duplicate descriptor (shut down first when it
        was cut, so the client sees the end even while the loop's copy is still open)."""
        with self._lock:
            self._drops.append(s)
        self._wake()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self._wake()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self._wake_r.close()
            self._wake_w.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed
            self._wake_w.send(b"\0")

    # -- the writer's thread ------------------------------------------------
    def _run(self) -> None:
        lower_thread_priority(WRITER_NICE_STEP)
        while not self._stopping:
            try:
                ready = self._sel.select(1.0 if self._waiting else None)
            except OSError:  # a descriptor was closed under select: the next turn has it right
                ready = []
            writable = []
            for key, _ in ready:
                if key.fileobj is self._wake_r:
                    with contextlib.suppress(OSError):
                        while self._wake_r.recv(4096):
                            pass
                else:
                    writable.append(key.data)
            with self._lock:
                self._woken = False
                dirty, self._dirty = self._dirty, set()
                releases, self._releases = self._releases, []
                drops, self._drops = self._drops, []
            try:
                for s in drops:
                    self._forget(s)
                dirty.update(writable)
                for s in dirty:
                    if s.sock is not None:
                        self._flush(s)
                for s, loop, fut in releases:
                    done = s.sock is not None and not s.pending and not s.frames
                    if s.sock is not None and not done:
                        self._flush(s)
                        done = not s.pending
                    self._forget(s)
                    with contextlib.suppress(RuntimeError):  # the loop has closed
                        loop.call_soon_threadsafe(_resolve, fut, done)
                self._check_stalls()
            except Exception:  # never let one stream's fault stop every stream's writes
                log.exception("event stream: the writer failed a turn")
        with self._lock:
            releases, self._releases = self._releases, []
            adopted = list(self._adopted)
        for s, loop, fut in releases:  # stopping: what a stream still holds is not written
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, fut, False)
        for s in adopted:
            self._forget(s)

    def _flush(self, s: Any) -> None:
        hub = self.hub
        with hub._lock:
            data = b"".join(s.frames)  # one chunk waiting: that very object
            s.frames.clear()
        if s.pending:
            data = s.pending + data
        if not data:
            return
        try:
            sent = s.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._gone(s, "the client went away", cut=False)
            return
        now = time.monotonic()
        if sent:
            s.last_write = now
        if sent == len(data):
            s.pending, s.writing_since = b"", 0.0
            if s in self._waiting:
                self._waiting.discard(s)
                self._sel.unregister(s.sock)
            return
        s.pending = data[sent:]
        if not s.writing_since or sent:
            s.writing_since = now
        if len(s.pending) > hub.max_buffer:
            self._gone(s, f"more than {hub.max_buffer} bytes not taken", cut=True)
        elif s not in self._waiting:
            self._waiting.add(s)
            self._sel.register(s.sock, selectors.EVENT_WRITE, s)

    def _check_stalls(self) -> None:
        now, stall_s = time.monotonic(), self.hub.stall_s
        for s in list(self._waiting):
            if s.writing_since and now - s.writing_since > stall_s:
                self._gone(s, f"no byte taken for {stall_s:.0f} s", cut=True)

    def _gone(self, s: Any, why: str, cut: bool) -> None:
        """The client is gone or too slow: end the stream (its task ends on the loop)."""
        hub = self.hub
        if not s.closed:
            s.closed, s.why = True, s.why or why
            if cut:
                s.cut = True
                with hub._lock:
                    hub.cut += 1
        if cut:
            with contextlib.suppress(OSError):
                s.sock.shutdown(socket.SHUT_RDWR)
        self._forget(s)
        hub._close(s, why)

    def _forget(self, s: Any) -> None:
        with self._lock:
            self._adopted.discard(s)
        sock, s.sock = s.sock, None
        s.pending = b""
        if s in self._waiting:
            self._waiting.discard(s)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._sel.unregister(sock)
        if sock is not None:
            if s.cut:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _resolve(fut: asyncio.Future, value: bool) -> None:
    if not fut.done():
        fut.set_result(value)
