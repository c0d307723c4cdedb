"""Byte-exact ESC/POS commands: Chinese mode text, mixed lines, sizes, QR, cut, the ticket job."""
from __future__ import annotations

import pytest

from drivers.printer import PAPERS, EscPosCommands, TicketContent, TicketPrinter, encode_text, text_line
from drivers.printer.commands import text_columns, wrap

FS_ON, FS_OFF = b"\x1c&", b"\x1c."


def build(fn, encoding="gbk", paper_mm=80) -> bytes:
    out = bytearray()
    fn(EscPosCommands(out.extend, encoding, PAPERS[paper_mm]))
    return bytes(out)


@pytest.mark.parametrize("text, encoding, expected", [
    ("请到5号窗口", "gbk", FS_ON + bytes.fromhex("c7eb b5bd 35 bac5 b4b0 bfda") + FS_OFF + b"\n"),
    ("瑶海", "gb18030", FS_ON + bytes.fromhex("d1fe baa3") + FS_OFF + b"\n"),
    ("請到5號窗口", "big5", FS_ON + bytes.fromhex("bdd0 a8ec 35 b8b9 b5a1 a466") + FS_OFF + b"\n"),
    # a name character outside GBK: 4 bytes in GB18030, "?" in GBK
    ("𠀀", "gb18030", FS_ON + bytes.fromhex("95328236") + FS_OFF + b"\n"),
    ("𠀀", "gbk", FS_ON + b"?" + FS_OFF + b"\n"),
    ("A023", "gbk", b"A023\n"),  # plain ASCII needs no Chinese mode
    ("", "gbk", b"\n"),
])
def test_chinese_mode_line_bytes(text, encoding, expected):
    assert text_line(text, encoding) == expected


def test_mixed_line_is_one_chinese_mode_run_without_code_page_switches():
    line = text_line("No. A023 ¥5 请到5号窗口", "gbk")
    assert line == (FS_ON + b"No. A023 " + bytes.fromhex("a3a4") + b"5 "
                    + bytes.fromhex("c7eb b5bd 35 bac5 b4b0 bfda") + FS_OFF + b"\n")
    assert b"\x1bt" not in line  # no ESC t (code page) anywhere in the line
    assert line.count(FS_ON) == 1 and line.count(FS_OFF) == 1


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="shift_jis"):
        encode_text("x", "shift_jis")


def test_styles_and_feed_bytes():
    assert build(lambda c: c.style(align="center", bold=True, width=2, height=2)) == \
        b"\x1d!\x11" + b"\x1bE\x01" + b"\x1ba\x01"
    assert build(lambda c: c.style(width=6, height=6)) == b"\x1d!\x55"
    assert build(lambda c: c.feed(3)) == b"\x1bd\x03"
    assert build(lambda c: c.init()) == b"\x1b@"


def test_qr_command_bytes():
    assert build(lambda c: c.qr("T1", module=6)) == (
        b"\x1d(k\x04\x00\x31\x41\x32\x00"      # model 2
        b"\x1d(k\x03\x00\x31\x43\x06"          # module 6 dots
        b"\x1d(k\x03\x00\x31\x45\x31"          # error correction M
        b"\x1d(k\x05\x00\x31\x50\x30T1"        # store "T1"
        b"\x1d(k\x03\x00\x31\x51\x30")         # print


def test_cut_bytes():
    assert build(lambda c: c.cut()) == b"\x1bd\x06\x1dV\x00"


@pytest.mark.parametrize("text, columns, lines", [
    ("Yaohai District Government Service Center", 32, ["Yaohai District Government", "Service Center"]),
    ("请留意叫号，过号需重新取号", 16, ["请留意叫号，过号", "需重新取号"]),
    ("办理窗口：1-3、12号窗口", 20, ["办理窗口：1-3、12号", "窗口"]),
])
def test_wrap_counts_chinese_as_two_columns(text, columns, lines):
    assert wrap(text, columns) == lines
    assert all(text_columns(ln) <= columns for ln in lines)


TICKET = TicketContent(hall="瑶海区政务服务中心", service="社会保障", zone="社保医保专区", number="A023", ahead=12,
                       issued="2026-11-23 09:00", windows="1-3、12号窗口", qr="https://x.example/t/7",
                       notice="请留意叫号，过号需重新取号", marks=("绿色通道 优先办理",))


@pytest.mark.parametrize("paper_mm, number, size", [
    (80, "A023", b"\x1d!\x55"),     # 6 x 6
    (58, "A023", b"\x1d!\x55"),
    (80, "ZB1023", b"\x1d!\x55"),   # 6 chars x 12 dots x 6 = 432 of 576 dots
    (58, "ZB1023", b"\x1d!\x44"),   # 5 x 5: 360 of 384 dots
])
def test_text_ticket_job(paper_mm, number, size):
    from dataclasses import replace
    job = TicketPrinter("sim://unused", paper_mm=paper_mm).ticket_bytes(replace(TICKET, number=number))
    assert job.startswith(b"\x1b@")
    assert job.endswith(b"\x1bd\x06\x1dV\x00")
    assert FS_ON + "瑶海区政务服务中心".encode("gbk") + FS_OFF + b"\n" in job
    assert size + b"\x1bE\x01" + number.encode() + b"\n" in job  # the number, very large and bold
    assert "【绿色通道 优先办理】".encode("gbk") in job
    assert b"\x1d(k\x05\x00" not in job and b"https://x.example/t/7" in job
    assert b"\x1bt" not in job  # never a code page switch
    # every Chinese-mode run is closed before its line ends
    for line in job.split(b"\n"):
        assert line.count(FS_ON) == line.count(FS_OFF)


def test_raster_ticket_job_is_one_image_and_a_cut():
    job = TicketPrinter("sim://unused", paper_mm=58, mode="raster").ticket_bytes(TICKET)
    assert job.startswith(b"\x1b@\x1dv0\x00")
    assert job[6:8] == (384 // 8).to_bytes(2, "little")  # 48 bytes = 384 dots wide
    assert FS_ON not in job
    assert job.endswith(b"\x1dV\x00")


# GS ( k, Epson ESC/POS: <fn 165> model 2 (31 41 32 00), <fn 167> module size (31 43 n),
# <fn 169> error level M = 49 (31 45 31), <fn 180> store (31 50 30 data), <fn 181> print (31 51 30).
@pytest.mark.parametrize("paper_mm, module", [(80, 6), (58, 5)])
def test_ticket_qr_bytes_with_its_quiet_zone_feeds(paper_mm, module):
    url = "https://zwfw.example.gov.cn/t/42"
    qr = (bytes.fromhex("1d 28 6b 04 00 31 41 32 00") + bytes.fromhex(f"1d 28 6b 03 00 31 43 {module:02x}")
          + bytes.fromhex("1d 28 6b 03 00 31 45 31") + bytes.fromhex("1d 28 6b 23 00 31 50 30") + url.encode()
          + bytes.fromhex("1d 28 6b 03 00 31 51 30"))
    feed = b"\x1bd\x01"  # ESC d 1: 30 dots, at least 4 modules of 5 or 6 dots (issue 18)
    job = TicketPrinter("sim://x", paper_mm).ticket_bytes(
        TicketContent(hall="大厅", service="社保", number="A001", ahead=0, issued="09:00", qr=url, notice="请留意叫号"))
    assert feed + qr + feed in job
