"""The pages' foundation (server/web, docs/web.md): the layout in both languages, the
browser log-in and its cookie on the API, the citizens' app that serves nothing else,
and Chromium opening a page served by a real `jiaohao serve`."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from server.web import public
from server.web.login import COOKIE, page_user
from server.web.render import page
from tests.api_helpers import hall  # noqa: F401
from tests.browser_helpers import browser, office, phone, shot  # noqa: F401
from tests.net_helpers import NetHall


def test_login_page_in_both_languages_and_large_text(hall):
    c = hall.client()
    r = c.get("/login")
    assert r.status_code == 200 and "工作人员登录" in r.text and 'lang="zh-CN"' in r.text
    r = c.get("/login?lang=en&big=1")
    assert "Staff log-in" in r.text and 'class="big' in r.text
    assert r.cookies.get("lang") == "en"
    assert "Staff log-in" in c.get("/login").text  # the choice is kept
    css = c.get("/static/base.css")
    assert css.status_code == 200 and "immutable" in css.headers["cache-control"]


def test_browser_login_sets_a_cookie_the_api_accepts_for_reads_and_page_writes(hall):
    hall.staff("m1", role="manager", password="manager-pass-1")
    c = hall.client()
    r = c.post("/login", data={"staff": "m1", "password": "wrong", "next": "/x"}, follow_redirects=False)
    assert r.status_code == 401 and "工号或密码错误" in r.text
    r = c.post("/login", data={"staff": "m1", "password": "manager-pass-1", "next": "//evil.example/"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # never off-site
    assert r.cookies.get(COOKIE, "").startswith("jhs_")
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert c.get("/api/v1/whoami").json()["name"] == "m1"
    # a write carried by the cookie alone is refused: another site could send it
    r = c.post("/api/v1/windows/1/pause", json={})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert "X-Jiaohao-Page" in r.json()["error"]["message_en"]
    r = c.post("/api/v1/windows/1/pause", json={}, headers={"X-Jiaohao-Page": "1"})
    assert r.status_code != 403, r.text
    r = c.post("/api/v1/logout", headers={"X-Jiaohao-Page": "1"})
    assert r.status_code == 204
    assert c.get("/api/v1/whoami").status_code == 401


def test_page_user_sends_to_login_and_refuses_a_role(hall):
    router = APIRouter()

    @router.get("/reports-page")
    def reports_page(request: Request, user=Depends(page_user("reports"))):
        return page(request, "error.html", message_zh=f"你好 {user.name}", message_en=f"hello {user.name}")
    hall.app.include_router(router)
    hall.staff("s1", role="staff", password="staff-pass-1")
    hall.staff("m1", role="manager", password="manager-pass-1")
    c = hall.client()
    r = c.get("/reports-page?day=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/reports-page%3Fday%3D1"
    c.post("/login", data={"staff": "s1", "password": "staff-pass-1"})
    r = c.get("/reports-page")
    assert r.status_code == 403 and "没有这个页面的权限" in r.text
    c.post("/logout")
    c.post("/login", data={"staff": "m1", "password": "manager-pass-1"})
    assert "你好 m1" in c.get("/reports-page").text


def test_citizens_app_serves_only_citizens_routes(hall, monkeypatch):
    monkeypatch.setattr(public, "PUBLIC_ROUTERS", [])
    app = public.create_public_app(hall.app)
    from starlette.testclient import TestClient
    token = hall.device("k1", "kiosk")
    with TestClient(app, base_url="http://hall") as c:
        for path in ("/api/v1/health", "/api/v1/hall", "/api/v1/openapi.json", "/login", "/api/v1/docs"):
            r = c.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 404, path
            assert "没有这个页面" in r.text
        assert c.post("/api/v1/tickets", json={"service": "A"},
                      headers={"Authorization": f"Bearer {token}"}).status_code == 404
        assert c.get("/static/base.css").status_code == 200


def test_serve_listens_for_citizens_and_chromium_shows_the_login_page(tmp_path, phone, office, shot):
    h = NetHall(tmp_path).prepare()
    try:
        h.start_serve()
        import httpx
        assert httpx.get(h.public_url + "/api/v1/health").status_code == 404
        assert httpx.get(h.url + "/api/v1/health").status_code == 200
        office.goto(h.url + "/login")
        assert office.get_by_role("heading").inner_text() == "工作人员登录"
        shot(office, "web-login-office")
        phone.goto(h.url + "/login?lang=en")
        assert phone.get_by_role("heading").inner_text() == "Staff log-in"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        shot(phone, "web-login-phone")
    finally:
        h.close()
