"""The guide through the hall API (GET /api/v1/guide, /guide/{code}) for client kiosks, and
RemoteHall.guide / RemoteGuide on top of it; the /guide pages' HTML in-process."""
from __future__ import annotations

import shutil

import pytest

from config import DEMO_HALL
from config.guide import GuideFiles, guide_folder
from hall.remote import RemoteHall
from hall.remote_guide import RemoteGuide
from tests.api_helpers import hall  # noqa: F401

FOLDER = guide_folder(DEMO_HALL)


@pytest.fixture
def guided(hall, tmp_path):  # noqa: F811
    folder = tmp_path / "guide"
    shutil.copytree(FOLDER, folder)
    hall.app.state.guide = GuideFiles(folder, hall.queue.config, recheck_s=0)
    hall.folder = folder
    return hall


def test_guide_api_needs_a_credential_and_lists_every_entry(guided):
    assert guided.client().get("/api/v1/guide").status_code == 401
    c = guided.client(guided.device("kiosk-1", "kiosk"))
    r = c.get("/api/v1/guide")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 18 and len(body["entries"]) == 18 and len(body["digest"]) == 64
    c01 = next(e for e in body["entries"] if e["code"] == "C01")
    assert c01["name"] == "二手房转移登记" and len(c01["materials"]) == 6
    one = c.get("/api/v1/guide/C01").json()
    assert one == c01
    missing = c.get("/api/v1/guide/ZZ9")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert c.get("/api/v1/guide/..%2Fetc").status_code in (404, 422)
    # it is in the OpenAPI document (the contract)
    assert "/api/v1/guide/{code}" in c.get("/api/v1/openapi.json").json()["paths"]


def test_an_edited_guide_file_is_served_without_a_restart(guided):
    c = guided.client(guided.device("kiosk-1", "kiosk"))
    before = c.get("/api/v1/guide").json()["digest"]
    path = guided.folder / "H01.toml"
    after_text = path.read_text(encoding="utf-8").replace("0551-12345678", "0551-87654321")
    path.write_text(after_text, encoding="utf-8")
    after = c.get("/api/v1/guide").json()
    assert after["digest"] != before
    assert next(e for e in after["entries"] if e["code"] == "H01")["phone_consult"] == "0551-87654321"
    # a broken edit keeps the last good guide (a hall never loses its guide to a typo)
    path.write_text("code = \"H01\"\nname = \n", encoding="utf-8")
    again = c.get("/api/v1/guide").json()
    assert again["digest"] == after["digest"]
    assert guided.app.state.guide.problems and "H01.toml" in guided.app.state.guide.problems[0]
    # a value of the wrong type too (it was a TypeError in the loader, and /api/v1/guide a 500)
    path.write_text(after_text.replace("bookable = true", 'bookable = "yes"'), encoding="utf-8")
    r = c.get("/api/v1/guide")
    assert r.status_code == 200 and r.json()["digest"] == after["digest"]
    assert any(p.endswith('bookable: 应为 true 或 false，不是 "yes" (expected true or false, not "yes")')
               for p in guided.app.state.guide.problems), guided.app.state.guide.problems


def test_remote_hall_and_remote_guide_fetch_and_keep_the_guide(guided):
    token = guided.device("kiosk-1", "kiosk")
    c = guided.client()
    remote = RemoteHall("http://hall", token, guided.queue.config, transport=c._transport, stream=False)
    try:
        digest, guide = remote.guide()
        assert len(guide) == 18 and guide.search("bdc")[0].code in {"C01", "C02", "C03"}
        assert guide.zone(guide.get("C01")) == "不动产专区"  # the hall's config fills the zone
        t = [0.0]
        source = RemoteGuide(remote, refresh_s=60, retry_s=5, monotonic=lambda: t[0])
        assert len(source.current()) == 18
        remote.close()  # the server "goes away": the kiosk keeps the guide it has
        t[0] = 61
        assert len(source.current()) == 18
        source.wait()
        assert len(source.current()) == 18
    finally:
        remote.close()


def test_guide_pages_html(guided):
    c = guided.client()
    r = c.get("/guide")
    assert r.status_code == 200 and "不动产专区" in r.text and 'href="/guide/C01"' in r.text
    r = c.get("/guide", params={"q": "bdc"})
    assert "二手房转移登记" in r.text and "结婚登记" not in r.text
    r = c.get("/guide", params={"service": "C"})
    assert "不动产登记 办事指南" in r.text and "不动产抵押登记" in r.text and "结婚登记" not in r.text
    r = c.get("/guide/C01")
    assert r.status_code == 200 and "申请材料（6项）" in r.text and 'type="checkbox"' in r.text
    assert "示例文本" in r.text and 'href="tel:0551-12345678"' in r.text
    en = c.get("/guide/C01", params={"lang": "en"})
    assert "Transfer of ownership (second-hand home)" in en.text and "Materials to bring (6)" in en.text
    # a service's code (the ticket status page's link): the list of its items, or its only item
    svc = c.get("/guide/C", params={"lang": "zh"})
    assert svc.status_code == 200 and "不动产抵押登记" in svc.text and "二手房转移登记" in svc.text
    assert "申请材料（6项）" not in svc.text
    assert c.get("/guide/NOPE").status_code == 404
    assert c.get("/guide/<script>").status_code == 404
    r = c.get("/guide", params={"q": "<script>alert(1)</script>"})
    assert r.status_code == 200 and "<script>alert" not in r.text  # escaped


def test_a_hall_without_a_guide_says_so(hall):  # noqa: F811
    c = hall.client(hall.device("kiosk-1", "kiosk"))
    assert c.get("/api/v1/guide").json()["count"] == 0
    page = hall.client().get("/guide")
    assert page.status_code == 200 and "尚未发布办事指南" in page.text
