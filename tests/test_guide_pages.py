"""The citizens' /guide pages in Chromium at 390×844 on a real `jiaohao serve` (its
citizens' listener), with screenshots: the list, a search by pinyin initials, an item's
checklist ticked, English and large text, and no overflow at 320 px."""
from __future__ import annotations

import shutil

import pytest

from config import DEMO_HALL
from config.guide import guide_folder
from tests.browser_helpers import browser, chromium_path, phone, shot  # noqa: F401
from tests.net_helpers import NetHall

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo hall with its guide, served on loopback (the guide beside hall.toml)."""
    h = NetHall(tmp_path_factory.mktemp("guide-hall")).prepare()
    shutil.copytree(guide_folder(DEMO_HALL), h.config.parent / "hall" / "guide")
    try:
        h.start_serve()
        yield h
    finally:
        h.close()


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_guide_list_and_search_on_a_phone(served, phone, shot):  # noqa: F811
    phone.goto(served.public_url + "/guide")
    assert phone.locator("h1").inner_text() == "办事指南"
    assert phone.locator("summary", has_text="不动产专区").count() == 1
    assert no_horizontal_overflow(phone)
    shot(phone, "phone-guide-list")
    phone.fill("#q", "bdc")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/guide?q=bdc")
    names = phone.locator(".guide-name").all_inner_texts()
    assert set(names) == {"二手房转移登记", "不动产抵押登记", "不动产权证书补换发"}
    shot(phone, "phone-guide-search")


def test_item_page_checklist_on_a_phone(served, phone, shot):  # noqa: F811
    phone.goto(served.public_url + "/guide/C01")
    assert phone.locator("h1").inner_text() == "二手房转移登记"
    items = phone.locator(".guide-checklist li")
    assert items.count() == 6
    assert "买卖双方身份证" in items.nth(0).inner_text()
    box = items.nth(0).locator("input[type=checkbox]")
    items.nth(0).locator("label").click()  # the whole line is the touch target
    assert box.is_checked()
    assert no_horizontal_overflow(phone)
    # every touch target is at least 44 px high
    heights = phone.eval_on_selector_all(".guide-checklist label, .guide-back a, .guide-faq summary",
                                         "els => els.map(e => e.getBoundingClientRect().height)")
    assert len(heights) == 8 and min(heights) >= 44
    shot(phone, "phone-guide-item")
    # back to the items of the same service
    phone.click(".guide-back a")
    phone.wait_for_url("**/guide?service=C")
    assert phone.locator(".guide-name").count() == 3


def test_item_page_english_large_text_and_320px(served, browser, shot):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 320, "height": 640}, locale="zh-CN", device_scale_factor=1)
    page = ctx.new_page()
    try:
        page.goto(served.public_url + "/guide/H01?big=1&lang=en")
        assert page.locator("h1").inner_text() == "Marriage registration"
        assert "Materials to bring (3)" in page.locator(".guide-materials h2").inner_text()
        assert no_horizontal_overflow(page)
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 22
        shot(page, "phone-guide-item-en-big-320")
    finally:
        ctx.close()


def test_the_api_is_not_on_the_citizens_listener_but_the_guide_is(served):
    import httpx
    with httpx.Client(base_url=served.public_url, timeout=5) as c:
        assert c.get("/guide/C01").status_code == 200
        assert c.get("/api/v1/guide").status_code == 404
    token = served.add_device("kiosk-9", "kiosk")
    with httpx.Client(base_url=served.url, timeout=5, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/v1/guide").json()["count"] == 18


def test_a_kiosk_on_another_pc_gets_the_guide_from_serve(served):
    from config import load_hall
    from hall.remote import RemoteHall
    from hall.remote_guide import RemoteGuide
    token = served.add_device("kiosk-7", "kiosk")
    remote = RemoteHall(served.url, token, load_hall(served.config), stream=False)
    try:
        guide = RemoteGuide(remote).current()
        assert len(guide) == 18 and guide.search("jhdj")[0].name == "结婚登记"
        assert guide.windows(guide.get("C01")) == [4, 5]
    finally:
        remote.close()


def test_guide_search_command_on_a_client_pc(served, tmp_path):
    import json
    import os
    import subprocess
    import sys
    token = served.add_device("kiosk-8", "kiosk")
    env = dict(os.environ, JIAOHAO_TOKEN=token)
    r = subprocess.run([sys.executable, "-m", "jiaohao", "guide", "search", "jhdj", "--json", "--server", served.url],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0] == {"code": "H01", "name": "结婚登记", "service": "H", "department": "区民政局",
                                       "zone": "婚姻登记专区"}
