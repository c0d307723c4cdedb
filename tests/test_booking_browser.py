"""The booking pages in Chromium at 390×844 on a live hall server (uvicorn on 127.0.0.1,
hall clock under the test's control): book → code + QR → the Qt kiosk (offscreen, over
the network) checks it in → an appointment ticket called ahead of walk-ins; cancel;
suspension after no-shows; 320 px and large text. Screenshots docs/screenshots/phone-book-*.png."""
from __future__ import annotations

import os
import re
import uuid
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402

from drivers.printer import PrinterSimulator  # noqa: E402
from drivers.transport import register_sim, unregister_sim  # noqa: E402
from hall import FixedClock, HallQueue  # noqa: E402
from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402
from tests.booking_helpers import booking_hall, valid_id  # noqa: E402
from tests.browser_helpers import browser, phone, shot  # noqa: E402,F401
from tests.remote_helpers import LiveHall  # noqa: E402


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 23, 10, 0))  # Monday


@pytest.fixture
def live(tmp_path, clock):
    path, cfg = booking_hall(tmp_path, capacity=2)
    q = HallQueue(tmp_path / "hall.sqlite", cfg, clock)
    h = LiveHall(q, config_text=path.read_text(encoding="utf-8"))
    yield h
    h.close()
    q.close()


@pytest.fixture
def printer():
    name = f"book-kiosk-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    yield name, sim
    unregister_sim(name)


def fill_and_book(page, n: int, name: str = "张三", mobile: str = "13800138000") -> None:
    page.fill("#name", name)
    page.fill("#mobile", mobile)
    page.fill("#id_number", valid_id(n))
    page.click("button[type=submit]")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_book_on_the_phone_then_check_in_at_the_kiosk(qtbot, live, phone, shot, clock, printer):
    requests: list[str] = []
    phone.on("request", lambda r: requests.append(r.url))
    phone.goto(live.url + "/book")
    shot(phone, "phone-book-1-service")
    phone.click("text=社会保障")
    assert "11月24日 周二" in phone.inner_text("main")
    shot(phone, "phone-book-2-day")
    phone.click("text=11月24日 周二")
    shot(phone, "phone-book-3-slot")
    phone.click("a[href$='/0900']")
    shot(phone, "phone-book-4-form")
    fill_and_book(phone, 1)
    code = phone.inner_text("#code").strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    assert phone.locator(".qr svg").count() == 1 and no_horizontal_scroll(phone)
    assert "张*" in phone.inner_text("main") and valid_id(1) not in phone.content()
    shot(phone, "phone-book-5-code")
    # nothing personal in any URL; every request to the hall itself
    assert all(r.startswith(live.url) for r in requests), requests
    assert not any("13800138000" in r or valid_id(1) in r or "%E5%BC%A0" in r for r in requests)

    # Tuesday 09:05: a walk-in first, then the citizen scans the code at the kiosk
    clock.set(datetime(2026, 11, 24, 9, 5))
    walk_in = live.queue.issue("A")
    remote = live.remote("kiosk")
    cfg = remote.config.model_copy(update={"printer": remote.config.printer.model_copy(
        update={"url": f"sim://{printer[0]}", "timeout_s": 2.0})})
    issuer = TicketIssuer(remote, cfg)
    w = KioskWindow(remote, cfg, issuer, kiosk_name="kiosk-1", start_timers=False)
    qtbot.addWidget(w)
    w.resize(1080, 1920)
    w.show()
    try:
        qtbot.keyClicks(w, code)
        qtbot.keyClick(w, Qt.Key_Return)
        qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=15000)
        assert w.done.kind.text() == "预约号"
    finally:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()
    ticket = live.queue.ticket_by_number("A002")
    assert ticket.kind == "appointment" and ticket.appointment == code
    assert live.queue.ticket_mobile(ticket.id) == "13800138000"  # for the reminder outbox
    live.queue.login(1, "0101")
    assert live.queue.call_next(1).id == ticket.id  # ahead of the walk-in
    assert live.queue.call_next(1).id == walk_in.id

    # the booking page now says checked in
    phone.goto(live.url + "/book/mine")
    phone.fill("#code", code)
    phone.fill("#mobile", "13800138000")
    phone.click("button[type=submit]")
    assert "已签到" in phone.inner_text("main")


def test_cancel_on_the_phone(live, phone, shot):
    b = live.queue.book("A", datetime(2026, 11, 25, 14, 0), "李四", "13900139000", valid_id(2))
    phone.goto(live.url + "/book/mine")
    shot(phone, "phone-book-6-mine")
    phone.fill("#code", b.code)
    phone.fill("#mobile", "13900139000")
    phone.click("button[type=submit]")
    assert "取消这个预约" in phone.inner_text("main")
    phone.click("text=取消这个预约")
    assert "预约已取消" in phone.inner_text("main")
    shot(phone, "phone-book-7-cancelled")
    assert live.queue.booking(b.code).status == "cancelled"


def test_suspension_after_no_shows_says_why_and_until_when(live, phone, shot, clock):
    for day in (24, 25):
        live.queue.book("A", datetime(2026, 11, day, 9, 0), "王五", "13700137000", valid_id(3))
    clock.set(datetime(2026, 11, 25, 10, 0))
    live.queue.sweep_no_shows()
    phone.goto(live.url + "/book/A/2026-11-26/1000")
    fill_and_book(phone, 3, "王五", "13700137000")
    text = phone.inner_text("main")
    assert "爽约2次" in text and "2026-12-05 10:00" in text and "咨询台" in text
    shot(phone, "phone-book-8-suspended")


@pytest.mark.parametrize("query", ["?big=1", "?lang=en"])
def test_narrow_phone_large_text_and_english(live, browser, shot, query):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="zh-CN")
    page = context.new_page()
    try:
        for path in ("/book", "/book/A", "/book/A/2026-11-24", "/book/A/2026-11-24/0900"):
            page.goto(live.url + path + query)
            assert no_horizontal_scroll(page), path
        if query == "?lang=en":
            assert "Step 4 of 4" in page.inner_text("main")
        shot(page, "phone-book-320" + ("-big" if "big" in query else "-en"))
    finally:
        context.close()
