"""TicketPrinter: status before and after each ticket, the job built in one piece, sent with time-outs."""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs

from . import PrinterError, PrinterFault
from .commands import PAPERS, EscPosCommands
from .raster import render_ticket
from .status import PrinterStatus, interpret, status_query
from .ticket import TicketContent, write_test_page, write_ticket
from .transports import Transport, open_transport

log = logging.getLogger(__name__)


class TicketPrinter:
    """One ticket printer at a URL. Safe to share between threads; reconnects after a failure.

    The connection opens on first use and is dropped after any error, so an unplugged
    and re-plugged printer works again on the next ticket without a restart.
    """

    def __init__(self, url: str, paper_mm: int = 80, mode: str = "text", encoding: str = "gbk",
                 timeout_s: float = 5.0, font: str = "", default_sim: Callable | None = None):
        if paper_mm not in PAPERS:
            raise ValueError(f"paper_mm must be one of {sorted(PAPERS)}")
        if mode not in ("text", "raster"):
            raise ValueError("mode must be text or raster")
        self.url, self.paper, self.mode, self.encoding = url, PAPERS[paper_mm], mode, encoding
        self.timeout_s, self.font = timeout_s, font
        self.status_timeout = min(timeout_s, 1.0)
        self._default_sim = default_sim
        self._transport: Transport | None = None
        self._lock = threading.RLock()

    # -- connection ---------------------------------------------------------------
    def _conn(self) -> Transport:
        if self._transport is None:
            self._transport = open_transport(self.url, self.timeout_s, self._default_sim)
            log.info("printer %s connected", self.url)
        return self._transport

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- status -------------------------------------------------------------------
    def status(self, extra_wait: float = 0.0) -> PrinterStatus:
        """Ask DLE EOT 1 (then 2, 3 when offline) and 4; never raises.

        ``extra_wait`` lengthens the wait for the first answer: after a long job on a
        slow serial line the query travels behind the job's bytes.
        """
        with self._lock:
            try:
                t = self._conn()
            except PrinterError as e:
                return PrinterStatus.of("offline", "no_connection", detail=str(e))
            if not t.can_read:
                return PrinterStatus.unchecked()
            try:
                t.drain_input()
                answers: dict[int, int | None] = {1: self._ask(t, 1, extra_wait)}
                if answers[1] is not None:
                    answers[4] = self._ask(t, 4)
                    if answers[1] & 0x08:
                        answers[2] = self._ask(t, 2)
                        if answers[2] is not None and answers[2] & 0x40:
                            answers[3] = self._ask(t, 3)
            except PrinterError as e:
                self._drop()
                return PrinterStatus.of("offline", "no_connection", detail=str(e))
            st = interpret(answers)
            if st.cause == "no_answer":
                self._drop()  # reopen next time: the port may have been re-plugged
            return st

    def _ask(self, t: Transport, n: int, extra_wait: float = 0.0) -> int | None:
        t.write(status_query(n))
        data = t.read(self.status_timeout + extra_wait)
        return data[0] if data else None

    # -- jobs ---------------------------------------------------------------------
    def commands(self, send: Callable[[bytes], None]) -> EscPosCommands:
        return EscPosCommands(send, self.encoding, self.paper)

    def ticket_bytes(self, content: TicketContent) -> bytes:
        """The whole job for one ticket (text or raster mode), ending with a cut."""
        job = bytearray()
        c = self.commands(job.extend)
        if self.mode == "raster":
            c.init()
            c.image(render_ticket(content, self.paper, self.font))
            c.cut()
        else:
            write_ticket(c, content)
        return bytes(job)

    def test_page_bytes(self, title: str = "") -> bytes:
        job = bytearray()
        write_test_page(self.commands(job.extend), title or "jiaohao", self.url,
                        datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        return bytes(job)

    def print_ticket(self, content: TicketContent) -> PrinterStatus:
        """Print one ticket; PrinterError (PrinterFault, PrinterTimeout) when it did not come out."""
        return self.send_job(self.ticket_bytes(content), f"ticket {content.number}")

    def print_test_page(self, title: str = "") -> PrinterStatus:
        return self.send_job(self.test_page_bytes(title), "test page")

    def send_job(self, job: bytes, what: str = "job") -> PrinterStatus:
        """Check status, send ``job``, check status again; the final status when all went well."""
        with self._lock:
            before = self.status()
            if not before.ok:
                raise PrinterFault(f"{self.url}: {what} not printed: {before.message_en}", before)
            try:
                conn = self._conn()
                conn.write(job)
                in_flight = conn.transmit_seconds(len(job))
            except PrinterError:
                self._drop()
                raise
            after = self.status(extra_wait=in_flight)
            if not after.ok:
                raise PrinterFault(f"{self.url}: {what} failed while printing: {after.message_en}", after)
            log.info("printer %s: %s printed (%d bytes, %s)", self.url, what, len(job), after.level)
            return after


def default_sim_output(name: str) -> Path:
    """Where a ``sim://`` printer started by itself keeps its PNGs ($JIAOHAO_SIM_PRINTS overrides)."""
    env = os.environ.get("JIAOHAO_SIM_PRINTS")
    if env:
        return Path(env) / name
    from platformdirs import user_data_dir
    return Path(user_data_dir("jiaohao")) / "sim-prints" / name


def open_printer(cfg) -> TicketPrinter:
    """The printer of a ``config.Printer`` section; ``sim://NAME`` starts a simulator if none runs
    (``sim://NAME?status=paper_out`` starts it in that state)."""
    from ..transport import sim_name
    from .simulator import PrinterSimulator

    def factory():
        base, _, query = cfg.url.partition("?")
        name = sim_name(base) or "default"
        sim = PrinterSimulator(output_dir=default_sim_output(name), paper_mm=cfg.paper_mm,
                               encoding=cfg.encoding, name=f"printer-sim-{name}")
        options = {k: v[-1] for k, v in parse_qs(query).items()}
        if "status" in options:  # sim://kiosk1?status=paper_out: a faulty printer for training
            sim.set_status(options["status"], options.get("cause", ""))
        return sim
    return TicketPrinter(cfg.url, cfg.paper_mm, cfg.mode, cfg.encoding, cfg.timeout_s, cfg.font,
                         default_sim=factory)
