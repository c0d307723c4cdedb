"""The kiosk's 查询 mode under Qt offscreen: browse, pinyin search, an item's page, its
checklist printed through the printer simulator (decoded from its bytes), 取号 from the
item page; portrait and landscape, elderly mode and English. Screenshots go to tmp (and
to docs/screenshots/ with JIAOHAO_SCREENSHOTS=docs)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.printer.interpreter import EscPosParser  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from config.guide import GuideFiles, guide_folder, load_guide  # noqa: E402
from config import DEMO_HALL  # noqa: E402
from hall import HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.guide_mode import ticket_line  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402

WAIT_MS = 15000
DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def shot(widget, tmp_path, name: str) -> Path:
    img = widget.grab()
    path = tmp_path / f"{name}.png"
    img.save(str(path))
    if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
        DOCS.mkdir(parents=True, exist_ok=True)
        img.save(str(DOCS / f"{name}.png"))
    return path


def decode_text(job: bytes, encoding: str = "gbk") -> list[str]:
    """The printed lines of a text-mode job: Chinese between FS & and FS ., ASCII as is."""
    text = ""
    for op in EscPosParser().feed(job):
        if op.name == "text":
            text += op.raw.decode(encoding)
        elif op.name == "lf":
            text += "\n"
    return text.split("\n")


@pytest.fixture
def printer():
    name = f"guide-test-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    yield name, sim
    unregister_sim(name)


@pytest.fixture
def make_kiosk(qtbot, demo_config, printer, clock, db_path):
    made = []

    def make(size=(1080, 1920), ticket_line="none", **kiosk):
        cfg = demo_config.model_copy(update={
            "printer": demo_config.printer.model_copy(update={"url": f"sim://{printer[0]}", "timeout_s": 2.0}),
            "kiosk": demo_config.kiosk.model_copy(update=kiosk),
            "guide": demo_config.guide.model_copy(update={"ticket_line": ticket_line}),
        })
        q = HallQueue(db_path, cfg, clock)
        issuer = TicketIssuer(q, cfg)
        guide = GuideFiles(guide_folder(DEMO_HALL), cfg)
        w = KioskWindow(q, cfg, issuer, kiosk_name="kiosk-test", start_timers=False, guide=guide)
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        made.append((w, q, issuer))
        return w, q

    yield make
    for w, q, issuer in made:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()
        q.close()


def settle(qtbot, w):
    qtbot.wait(30)
    w.render()
    qtbot.wait(30)


def visible_rows(w):
    return [r.row for r in w.guide_mode.list.rows if r.isVisible()]


def type_letters(qtbot, w, letters: str):
    for ch in letters:
        qtbot.mouseClick(w.guide_mode.list.keypad.buttons[ch], Qt.LeftButton)


def test_browse_search_and_item_page_portrait(qtbot, make_kiosk, tmp_path):
    w, q = make_kiosk()
    settle(qtbot, w)
    assert w.home.guide_btn.isVisible()
    shot(w, tmp_path, "kiosk-home-guide-button")
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    assert w.flow.screen == F.GUIDE
    settle(qtbot, w)
    rows = visible_rows(w)
    assert rows[0].kind == "group" and rows[0].title == "社保医保专区"
    shot(w, tmp_path, "kiosk-guide-portrait")
    # by department, then open one
    qtbot.mouseClick(w.guide_mode.list.by_dept, Qt.LeftButton)
    assert {r.title for r in visible_rows(w)} >= {"区人社局", "区不动产登记中心"}
    dept = next(r for r in w.guide_mode.list.rows if r.isVisible() and r.row.title == "区不动产登记中心")
    qtbot.mouseClick(dept.btn, Qt.LeftButton)
    assert [r.title for r in visible_rows(w)] == ["二手房转移登记", "不动产抵押登记", "不动产权证书补换发"]
    # search by pinyin initials on the on-screen keyboard
    type_letters(qtbot, w, "JHDJ")
    assert w.guide_mode.list.search.text() == "JHDJ"
    assert visible_rows(w)[0].title == "结婚登记"
    settle(qtbot, w)
    shot(w, tmp_path, "kiosk-guide-search")
    qtbot.mouseClick(w.guide_mode.list.rows[0].btn, Qt.LeftButton)
    assert w.flow.screen == F.GUIDE_ITEM
    settle(qtbot, w)
    item = w.guide_mode.item
    assert item.name.text() == "结婚登记"
    texts = [lbl.text() for lbl in item.findChildren(type(item.name)) if lbl.isVisible()]
    assert any("☐ 3. 双方近期半身免冠合影2寸照片（原件 ×3）" in t for t in texts), texts
    assert "办理地点：婚姻登记专区 11号窗口" in item.meta.text()
    shot(w, tmp_path, "kiosk-guide-item")
    # back: to the search results, then up to the groups, then home
    qtbot.mouseClick(item.back_btn, Qt.LeftButton)
    assert w.flow.screen == F.GUIDE and w.guide_mode.browser.query == "jhdj"
    qtbot.mouseClick(w.guide_mode.list.back_btn, Qt.LeftButton)
    qtbot.mouseClick(w.guide_mode.list.back_btn, Qt.LeftButton)
    qtbot.mouseClick(w.guide_mode.list.back_btn, Qt.LeftButton)
    assert w.flow.screen == F.HOME


def test_item_page_landscape_elderly_and_english(qtbot, make_kiosk, tmp_path):
    w, q = make_kiosk(size=(1920, 1080))
    qtbot.mouseClick(w.home.elderly_btn, Qt.LeftButton)
    settle(qtbot, w)
    assert w.size().width() == 1920  # nothing on the home screen asks for more than the screen
    shot(w, tmp_path, "kiosk-home-guide-landscape-elderly")
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    settle(qtbot, w)
    assert len(visible_rows(w)) <= 3  # elderly landscape: fewer, larger rows
    shot(w, tmp_path, "kiosk-guide-landscape-elderly")
    type_letters(qtbot, w, "BDC")
    assert {r.title for r in visible_rows(w)} <= {"二手房转移登记", "不动产抵押登记", "不动产权证书补换发"}
    qtbot.mouseClick(w.guide_mode.list.rows[0].btn, Qt.LeftButton)
    settle(qtbot, w)
    shot(w, tmp_path, "kiosk-guide-item-landscape-elderly")
    # every label's text fits its width (no clipped Chinese): word wrap gives each its height
    item = w.guide_mode.item
    assert item.name.width() <= item.width()
    qtbot.mouseClick(item.back_btn, Qt.LeftButton)
    qtbot.mouseClick(w.guide_mode.list.back_btn, Qt.LeftButton)
    qtbot.mouseClick(w.guide_mode.list.back_btn, Qt.LeftButton)
    qtbot.mouseClick(w.home.lang_btn, Qt.LeftButton)
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    type_letters(qtbot, w, "GH")
    qtbot.mouseClick(w.guide_mode.list.rows[0].btn, Qt.LeftButton)
    settle(qtbot, w)
    assert w.guide_mode.item.name.text() == "Transfer of ownership (second-hand home)"
    assert "Where: 不动产专区 windows 4、5" in w.guide_mode.item.meta.text()
    assert w.guide_mode.item.print_btn.text() == "Print the checklist"
    assert w.size().width() == 1920 and w.size().height() == 1080
    shot(w, tmp_path, "kiosk-guide-item-english")


def test_print_checklist_decoded_from_the_printer_bytes(qtbot, make_kiosk, printer, tmp_path):
    w, q = make_kiosk()
    sim = printer[1]
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    type_letters(qtbot, w, "ESF")  # 二手房
    qtbot.mouseClick(w.guide_mode.list.rows[0].btn, Qt.LeftButton)
    assert w.guide_mode.item.name.text() == "二手房转移登记"
    qtbot.mouseClick(w.guide_mode.item.print_btn, Qt.LeftButton)
    assert sim.wait_for_jobs(1, 10)
    qtbot.waitUntil(lambda: "取走" in w.guide_mode.item.status.text(), timeout=WAIT_MS)
    job = sim.jobs[-1]
    sim.images[-1].save(tmp_path / "guide-checklist-80mm.png")
    if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
        sim.images[-1].save(DOCS / "guide-checklist-80mm.png")
    assert b"\x1c&" in job  # Chinese in FS & ... FS . (text mode), GBK
    lines = [ln.strip() for ln in decode_text(job)]
    assert "材料清单" in lines and "二手房转移登记" in lines
    assert "申请材料（6项）：" in lines
    assert "□ 1. 买卖双方身份证（原件）" in lines
    assert "□ 3. 存量房买卖合同（原件 ×2）" in lines
    assert "可电子证照共享；网签合同" in lines
    assert "办理地点：不动产专区 4、5号窗口" in lines
    assert "打印时间：2026-11-23 09:00" in lines  # the hall clock
    assert all(len(ln.encode("gbk")) <= 48 for ln in decode_text(job))  # fits 80 mm (48 columns)
    assert w.flow.screen == F.GUIDE_ITEM  # still on the item's page
    assert q.snapshot().services["C"].waiting == 0  # printing a checklist issues no ticket


def test_take_a_ticket_from_the_item_page_with_the_guide_line(qtbot, make_kiosk, printer):
    w, q = make_kiosk(ticket_line="reminder")
    sim = printer[1]
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    type_letters(qtbot, w, "ESF")
    qtbot.mouseClick(w.guide_mode.list.rows[0].btn, Qt.LeftButton)
    assert "Take a ticket" in w.guide_mode.item.take_btn.text() or "取号" in w.guide_mode.item.take_btn.text()
    qtbot.mouseClick(w.guide_mode.item.take_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=WAIT_MS)
    assert w.flow.ticket.service == "C" and w.flow.ticket.number == "C001"
    lines = [ln.strip() for ln in decode_text(sim.jobs[-1])]
    assert "温馨提示：买卖双方须本人到场并带身份证、房产证" in "".join(lines)


def test_the_guide_waits_longer_before_going_back_to_the_start(qtbot, make_kiosk):
    w, q = make_kiosk()
    base = w.config.kiosk.idle_seconds * 1000
    assert w.idle.interval() == base
    qtbot.mouseClick(w.home.guide_btn, Qt.LeftButton)
    assert w.idle.interval() == 3 * base
    w.idle_timeout()  # nobody touched it: back to the start, guide closed
    assert w.flow.screen == F.HOME and w.idle.interval() == base
    assert w.guide_mode.browser.query == ""


def test_ticket_line_modes(demo_config):
    guide = load_guide(guide_folder(DEMO_HALL), demo_config)
    cfg = lambda mode: demo_config.model_copy(update={"guide": demo_config.guide.model_copy(  # noqa: E731
        update={"ticket_line": mode})})
    assert ticket_line(cfg("none"), guide, "C", "C01") == ""
    assert ticket_line(cfg("materials"), guide, "C", "C01") == "请备齐二手房转移登记所需材料6项（详见办事指南）"
    assert ticket_line(cfg("materials"), guide, "C", None) == ""  # three items take C's tickets
    assert ticket_line(cfg("reminder"), guide, "A", "A02") == "温馨提示：请带身份证和照片"
    assert ticket_line(cfg("reminder"), guide, "B", "B02").startswith("请备齐生育保险待遇申领")  # no reminder


def test_a_kiosk_without_a_guide_has_no_guide_button(qtbot, demo_config, printer, clock, db_path):
    cfg = demo_config.model_copy(update={"printer": demo_config.printer.model_copy(
        update={"url": f"sim://{printer[0]}"})})
    q = HallQueue(db_path, cfg, clock)
    issuer = TicketIssuer(q, cfg)
    w = KioskWindow(q, cfg, issuer, start_timers=False)
    qtbot.addWidget(w)
    w.show()
    try:
        assert not w.home.guide_btn.isVisible()
        w.guide_mode.open()
        assert w.flow.screen == F.HOME
    finally:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()
        q.close()


@pytest.mark.parametrize("code", ["C01", "H01", "F02", "A01"])
def test_checklist_on_58mm_paper_fits_and_keeps_punctuation_off_line_starts(demo_config, code):
    from datetime import datetime

    from drivers.printer.commands import PAPERS, EscPosCommands
    from kiosk.guide_print import NO_LINE_START, write_checklist
    guide = load_guide(guide_folder(DEMO_HALL), demo_config)
    job = bytearray()
    write_checklist(EscPosCommands(job.extend, "gbk", PAPERS[58]), guide.get(code), guide, "瑶海区政务服务中心",
                    datetime(2026, 11, 23, 9).strftime("%Y-%m-%d %H:%M"))
    lines = decode_text(bytes(job))
    assert guide.get(code).name in "".join(lines)
    assert all(len(ln.encode("gbk")) <= 32 for ln in lines), [ln for ln in lines if len(ln.encode("gbk")) > 32]
    assert not any(ln.strip()[:1] in NO_LINE_START for ln in lines if ln.strip())
