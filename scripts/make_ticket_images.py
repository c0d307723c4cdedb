#!/usr/bin/env python3
"""Make docs/ticket-*.png: sample tickets printed by the printer simulator from the real job bytes.

    python scripts/make_ticket_images.py [--out docs]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.printer import PrinterSimulator, TicketContent, TicketPrinter  # noqa: E402

BASE = dict(hall="瑶海区政务服务中心", hall_en="Yaohai District Government Service Center", service="社会保障",
            zone="社保医保专区", number="A023", issued="2026-11-23 09:41", windows="1-3、12号窗口",
            qr="https://zwfw.example.gov.cn/t/1042", notice="请留意叫号，过号需重新取号")
SAMPLES = {
    "ticket-80mm.png": (80, "text", TicketContent(**BASE, ahead=22)),
    "ticket-58mm.png": (58, "text", TicketContent(**BASE, ahead=0, marks=("绿色通道 优先办理",))),
    "ticket-80mm-raster.png": (80, "raster", TicketContent(**BASE, ahead=22)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs")
    args = ap.parse_args()
    for name, (paper_mm, mode, ticket) in SAMPLES.items():
        sim = PrinterSimulator(paper_mm=paper_mm)
        sim.feed(TicketPrinter("sim://docs", paper_mm, mode).ticket_bytes(ticket))
        sim.images[-1].save(args.out / name)
        print(args.out / name, sim.images[-1].size)


if __name__ == "__main__":
    main()
