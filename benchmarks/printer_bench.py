"""Printer figures: job sizes, time to build a job, status round trip and a ticket over a pty,
and how long each job takes on common serial speeds. Prints a table; asserts nothing."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.printer import PrinterSimulator, TicketContent, TicketPrinter  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402

TICKET = TicketContent(hall="瑶海区政务服务中心", hall_en="Yaohai District Government Service Center",
                       service="社会保障", zone="社保医保专区", number="A023", ahead=22,
                       issued="2026-11-23 09:41", windows="1-3、12号窗口",
                       qr="https://zwfw.example.gov.cn/t/123", notice="请留意叫号，过号需重新取号")


def timed(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1000, max(out) * 1000


def main() -> None:
    print(f"{'job':<16}{'bytes':>8}{'build ms':>10}{'9600 bd s':>11}{'115200 bd s':>13}")
    for mm in (58, 80):
        for mode in ("text", "raster"):
            p = TicketPrinter("sim://bench", paper_mm=mm, mode=mode)
            job = p.ticket_bytes(TICKET)
            med, _ = timed(lambda: p.ticket_bytes(TICKET), 10)
            print(f"{mm} mm {mode:<9}{len(job):>8}{med:>10.1f}{len(job) * 10 / 9600:>11.2f}"
                  f"{len(job) * 10 / 115200:>13.2f}")
    sim = PrinterSimulator()
    register_sim("bench", sim)
    try:
        p = TicketPrinter("sim://bench")
        p.status()
        med, worst = timed(p.status, 200)
        print(f"status (DLE EOT 1+4) over a pty: median {med:.2f} ms, max {worst:.2f} ms")
        med, worst = timed(lambda: p.print_ticket(TICKET), 20)
        print(f"text ticket over a pty incl. status before/after and simulator PNG render: "
              f"median {med:.1f} ms, max {worst:.1f} ms")
        p.close()
    finally:
        unregister_sim("bench")


if __name__ == "__main__":
    main()
