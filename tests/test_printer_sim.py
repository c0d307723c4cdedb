"""The simulator's ESC/POS parser and paper rendering; raster mode PNGs."""
from __future__ import annotations

import pytest
from PIL import Image

from drivers.printer import PAPERS, PrinterSimulator, TicketContent, TicketPrinter
from drivers.printer.interpreter import EscPosParser
from drivers.printer.raster import render_ticket

TICKET = TicketContent(hall="瑶海区政务服务中心", hall_en="Yaohai District Government Service Center",
                       service="不动产登记", zone="不动产专区", number="C107", ahead=3,
                       issued="2026-11-23 09:00", windows="4、5号窗口", qr="https://zwfw.example.gov.cn/t/42",
                       notice="请留意叫号，过号需重新取号", marks=("绿色通道 优先办理",))


def black_fraction(img: Image.Image) -> float:
    hist = img.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()
    return hist[255] / (img.width * img.height)


def test_parser_gives_the_same_ops_byte_by_byte():
    job = TicketPrinter("sim://x").ticket_bytes(TICKET)
    whole = EscPosParser().feed(job)
    p = EscPosParser()
    pieces = [op for i in range(len(job)) for op in p.feed(job[i:i + 1])]
    # text runs may split differently; everything else is identical
    assert [o for o in pieces if o.name != "text"] == [o for o in whole if o.name != "text"]
    assert b"".join(o.data for o in pieces if o.name == "text") == b"".join(o.data for o in whole if o.name == "text")
    assert p.garbled == 0 and not p.buf
    names = {o.name for o in whole}
    assert {"init", "size", "bold", "align", "cn_on", "cn_off", "lf", "qr_store", "qr_print", "cut"} <= names


def test_status_query_inside_raster_data_is_not_answered():
    data = bytes([0x10, 0x04, 0x01] * 8)  # looks like DLE EOT 1, but it is image data
    raster = b"\x1dv0\x00" + (3).to_bytes(2, "little") + (8).to_bytes(2, "little") + data
    ops = EscPosParser().feed(raster + b"\x10\x04\x04")
    assert [o.name for o in ops] == ["raster", "status"]
    assert ops[0].data == data and ops[1].args == (4,)


def test_unknown_command_is_counted_and_skipped():
    p = EscPosParser()
    ops = p.feed(b"\x1b\x99AB\n")
    assert p.garbled == 1
    assert [o.name for o in ops] == ["other", "text", "lf"]


def test_simulator_answers_only_status_queries():
    sim = PrinterSimulator()
    assert sim.feed(b"\x10\x04\x01\x10\x04\x04") == b"\x12\x12"
    sim.set_status("near_end")
    assert sim.feed(b"\x10\x04\x04") == b"\x1e"
    sim.set_status("offline")
    assert sim.feed(b"\x10\x04\x01") == b""
    assert sim.jobs == []  # status queries are not part of a job


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("mode", ["text", "raster"])
def test_rendered_ticket_png(tmp_path, paper_mm, mode):
    sim = PrinterSimulator(output_dir=tmp_path, paper_mm=paper_mm)
    job = TicketPrinter("sim://x", paper_mm=paper_mm, mode=mode).ticket_bytes(TICKET)
    sim.feed(job)
    assert sim.jobs == [job]
    png = Image.open(sim.pngs[0])
    assert png.width == PAPERS[paper_mm].dots
    assert 600 < png.height < 1400          # one ticket, not a banner nor a stub
    assert 0.04 < black_fraction(png) < 0.4  # ink on the paper, not a black block
    assert sim.parser.garbled == 0


def test_raster_image_size_and_ink():
    img = render_ticket(TICKET, PAPERS[80])
    assert img.mode == "1" and img.width == 576 and 600 < img.height < 1400
    assert 0.04 < black_fraction(img) < 0.4
    narrow = render_ticket(TICKET, PAPERS[58])
    assert narrow.width == 384 and narrow.height < img.height


def test_chinese_without_fs_and_prints_something_else():
    """What escpos's magic encoder gets wrong: GBK bytes outside Chinese mode are code page 437."""
    good, bad = PrinterSimulator(), PrinterSimulator()
    good.feed(b"\x1b@\x1c&" + "请到5号窗口".encode("gbk") + b"\x1c.\n\x1dV\x00")
    bad.feed(b"\x1b@" + "请到5号窗口".encode("gbk") + b"\n\x1dV\x00")
    a, b = good.images[0], bad.images[0]
    assert a.size == b.size and a.tobytes() != b.tobytes()


def test_job_received_while_out_of_paper_is_lost_not_printed(tmp_path):
    sim = PrinterSimulator(output_dir=tmp_path)
    sim.set_status("paper_out")
    sim.feed(TicketPrinter("sim://x").ticket_bytes(TICKET))
    assert sim.jobs == [] and len(sim.lost_jobs) == 1 and sim.pngs == []
