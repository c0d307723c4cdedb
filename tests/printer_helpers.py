"""A network print server for the printer tests: the simulator behind a TCP socket on 127.0.0.1."""
from __future__ import annotations

import socket
import threading

from drivers.printer import PrinterSimulator


class PrintServer:
    """A :9100 print server on 127.0.0.1 in front of a simulator; stop() is the cable pulled."""

    def __init__(self, sim: PrinterSimulator):
        self.sim, self.port = sim, 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: socket.socket | None = None

    def start(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", self.port))
        self.port = self._server.getsockname()[1]
        self._server.listen(1)
        self._server.settimeout(0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            conn.settimeout(0.1)
            with conn:
                while not self._stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    reply = self.sim.feed(data)
                    if reply:
                        conn.sendall(reply)
