"""The /manage pages in-process: a manager gets each (in Chinese or English), nobody
else does; the limits page shows the file's value and a manager's change; the report
counts the day's alarms."""
from __future__ import annotations

import pytest

from hall.alarm_engine import AlarmEngine
from tests.api_helpers import hall  # noqa: F401 - the fixture

PAGES = ("/manage", "/manage?wall=1", "/manage/alarms", "/manage/limits", "/manage/actions", "/manage/people",
         "/manage/reports", "/manage/ratings")


@pytest.fixture(autouse=True)
def _live_view_rebuilt_at_once(monkeypatch):
    """The live view is rebuilt at most twice a second; these tests read it right after a change."""
    monkeypatch.setattr("hall.live_hall.MIN_REBUILD_S", 0.0)


def browser(hall, number: str, role: str):
    hall.staff(number, role=role, password="page-pass-123")
    c = hall.client()
    assert c.post("/login", data={"staff": number, "password": "page-pass-123"}, follow_redirects=False).status_code == 303
    return c


def test_only_a_manager_opens_the_pages(hall):
    anon, staff, tech = hall.client(), browser(hall, "0517", "staff"), browser(hall, "0700", "technician")
    manager = browser(hall, "0900", "manager")
    for url in PAGES:
        r = anon.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/manage"), url
        assert staff.get(url).status_code == 403 and tech.get(url).status_code == 403, url
        r = manager.get(url)
        assert r.status_code == 200 and "综合管理" in r.text, url
    assert "Live hall" in manager.get("/manage?lang=en").text
    assert "Limits" in manager.get("/manage/limits").text  # the choice of English is kept


def test_limits_page_and_the_days_alarms_in_the_report(hall, queue):
    manager = browser(hall, "0900", "manager")
    r = manager.put("/api/v1/limits", json={"scope": "", "field": "max_waiting", "value": 1, "reason": "演练"},
                    headers={"X-Jiaohao-Page": "1"})
    assert r.status_code == 200, r.text
    page = manager.get("/manage/limits").text
    assert "演练" in page and "恢复配置值" in page
    queue.issue("A"), queue.issue("A")
    [alarm], _ = AlarmEngine(queue).evaluate_once()
    assert alarm["kind"] == "queue_too_long"
    report = manager.get("/manage/reports").text
    assert "排队人数超限" in report and 'id="alarm-counts"' in report
    assert "社会保障排队 2 人" in manager.get("/manage/alarms").text
    actions = manager.get("/manage/actions").text
    assert "修改限值" in actions and "演练" in actions


def test_the_full_html_report_in_the_browser(hall, queue):
    """/manage/reports/full: the `jiaohao report --format html` report of the hall's own
    database, for a manager only."""
    queue.issue("A")
    queue.call_next(1)
    queue.finish(1)
    staff = browser(hall, "0517", "staff")
    assert staff.get("/manage/reports/full?day_from=2026-11-23").status_code == 403
    manager = browser(hall, "0900", "manager")
    r = manager.get("/manage/reports/full?day_from=2026-11-23&by=window")
    assert r.status_code == 200, r.text[-500:]
    assert "<html" in r.text.lower() and "<svg" in r.text.lower() and "社会保障" in r.text
    assert manager.get("/manage/reports/full?day_from=2026-11-23&day_to=2026-11-01").status_code == 400
    assert 'href="/manage/reports/full?day_from=' in manager.get("/manage/reports?day=2026-11-23").text
