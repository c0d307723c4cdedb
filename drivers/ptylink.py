"""A pseudo-terminal pair: a simulator serves the device end, a driver opens the host end
with real pyserial, so tests and the demo run the real protocol code over real bytes."""
from __future__ import annotations

import os
import select
import threading
import tty


class PtyLink:
    """``path`` is the host end (give it to pyserial); read/write here are the device end."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._closed = False
        self._wlock = threading.Lock()

    def read(self, size: int = 4096, timeout: float | None = 0.1) -> bytes:
        """Bytes the host sent, or b"" after ``timeout`` seconds."""
        if self._closed:
            return b""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, size)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        with self._wlock:
            view = memoryview(data)
            while view and not self._closed:
                n = os.write(self.master, view)
                view = view[n:]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for fd in (self.master, self._slave):
                try:
                    os.close(fd)
                except OSError:
                    pass


class SerialSimulator:
    """Base of the serial-device simulators: a thread reading what the host sends.

    Subclasses implement :meth:`on_bytes`, answering with :meth:`send`. ``start()``
    returns the path a driver opens.
    """

    name = "simulator"

    def __init__(self) -> None:
        self.link: PtyLink | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def path(self) -> str:
        if self.link is None:
            raise RuntimeError(f"{self.name} is not started")
        return self.link.path

    def start(self) -> str:
        if self.link is None:
            self.link = PtyLink()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self.link.path

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self.link:
            self.link.close()
        self.link = None

    def send(self, data: bytes) -> None:
        if self.link is not None:
            self.link.write(data)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.link.read(4096, 0.05)
            if data:
                self.on_bytes(data)
            else:
                self.on_idle()

    def on_bytes(self, data: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_idle(self) -> None:
        """Called about every 50 ms when nothing arrived (timers, spontaneous replies)."""
