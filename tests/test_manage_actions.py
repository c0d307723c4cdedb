"""A manager's actions over the API: each changes the queue as the keypad's would, and is
recorded with who and why; staff may not take them; people and devices in the browser's API."""
from __future__ import annotations

import pytest

from hall.errors import ServiceClosed
from tests.api_helpers import Hall, hall  # noqa: F401 - hall: the fixture
from tests.test_manage_alarms import login


@pytest.fixture(autouse=True)
def _live_view_rebuilt_at_once(monkeypatch):
    """The live view is rebuilt at most twice a second; these tests read it right after a change."""
    monkeypatch.setattr("hall.live_hall.MIN_REBUILD_S", 0.0)


@pytest.fixture
def manager(hall):
    return hall.client(login(hall, "0900", "manager"))


def post(client, url, **body):
    import uuid
    return client.post(url, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def test_window_actions_with_why(hall, manager, queue):
    queue.login(1, "0517")
    r = post(manager, "/api/v1/actions/windows/1/pause", why="窗口电脑故障", reason="away")
    assert r.status_code == 200 and r.json()["state"] == "paused"
    assert post(manager, "/api/v1/actions/windows/1/resume", why="修好了").json()["state"] == "idle"
    assert post(manager, "/api/v1/actions/windows/1/close", why="下午人少").json()["state"] == "closed"
    assert queue.window_state(1).staff is None
    assert post(manager, "/api/v1/actions/windows/1/close", why="again").status_code == 409
    assert post(manager, "/api/v1/actions/windows/1/open", why="人多了").json()["state"] == "idle"
    queue.issue("A")
    assert queue.call_next(1).number == "A001"  # an opened window calls again
    r = manager.post("/api/v1/actions/windows/1/resume", json={"why": ""})
    assert r.status_code == 422  # a why is required
    log = manager.get("/api/v1/actions").json()
    assert [a["action"] for a in log] == ["open", "close", "resume", "pause"]
    assert log[-1]["by"] == "0900" and log[-1]["why"] == "窗口电脑故障" and log[-1]["by_name"] == "张三"


def test_ticket_actions(hall, manager, queue):
    for _ in range(3):
        queue.issue("A")
    r = post(manager, "/api/v1/actions/tickets/A003/transfer", why="材料属于不动产", to_service="C")
    assert r.status_code == 200 and r.json()["service"] == "C" and r.json()["status"] == "waiting"
    queue.login(4, "0001")
    assert queue.call_next(4).number == "A003"  # moved ahead of window 4's queue
    r = post(manager, "/api/v1/actions/tickets/A002/transfer", why="指定窗口", to_window=2)
    assert r.json()["target_window"] == 2
    assert post(manager, "/api/v1/actions/tickets/A001/cancel", why="群众离开").json()["status"] == "cancelled"
    queue.login(2, "0002")
    assert queue.call_next(2).number == "A002"
    queue.skip(2)
    r = post(manager, "/api/v1/actions/tickets/A002/reactivate", why="群众回来了")
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    assert post(manager, "/api/v1/actions/tickets/Z999/cancel", why="x").status_code == 404
    # a ticket being served moves as its window's TRANSFER key would move it
    r = post(manager, "/api/v1/actions/tickets/A003/transfer", why="转综合", to_service="A")
    assert r.status_code == 200 and queue.window_state(4).current is None


def test_stop_issuing_reaches_the_kiosk(hall, manager, queue):
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    r = post(manager, "/api/v1/actions/services/B/stop", why="系统升级，明天再来")
    assert r.status_code == 200 and r.json()["stopped"] is True
    r = kiosk.post("/api/v1/tickets", json={"service": "B"})
    assert r.status_code == 409 and "系统升级，明天再来" in r.json()["error"]["message"]
    with pytest.raises(ServiceClosed):
        queue.issue("B")
    snap = kiosk.get("/api/v1/hall").json()
    assert next(s for s in snap["services"] if s["code"] == "B")["stopped"] == "系统升级，明天再来"
    assert queue.snapshot().services["B"].stopped == "系统升级，明天再来"
    assert post(manager, "/api/v1/actions/services/B/stop", why="again").status_code == 400
    assert post(manager, "/api/v1/actions/services/B/restart", why="升级完成").status_code == 200
    assert kiosk.post("/api/v1/tickets", json={"service": "B"}).status_code == 201
    assert queue.snapshot().services["B"].stopped is None


def test_notice_for_screen_and_boards(hall, manager, queue):
    r = post(manager, "/api/v1/actions/notice", why="停电", text="今日下午停电，暂停办理", text_en="Power cut")
    assert r.status_code == 200
    live = manager.get("/api/v1/manage/live").json()
    assert live["notice"]["text"] == "今日下午停电，暂停办理"
    post(manager, "/api/v1/actions/notice/clear", why="来电了")
    assert manager.get("/api/v1/manage/live").json()["notice"] is None


def test_staff_may_not_act(hall, queue):
    staff = hall.client(login(hall, "0517", "staff"))
    queue.issue("A")
    for url, body in (("/api/v1/actions/windows/1/pause", {"why": "x"}),
                      ("/api/v1/actions/services/A/stop", {"why": "x"}),
                      ("/api/v1/actions/tickets/A001/cancel", {"why": "x"}),
                      ("/api/v1/staff", {"staff": "1", "name": "a", "role": "manager", "password": "12345678x"})):
        assert staff.post(url, json=body).status_code == 403, url
    assert staff.get("/api/v1/staff").status_code == 403
    assert staff.get("/api/v1/actions").status_code == 403


def test_people_and_devices(hall, manager):
    r = manager.post("/api/v1/staff", json={"staff": "0601", "name": "李四", "role": "staff",
                                            "password": "good-pass-1"})
    assert r.status_code == 201 and r.json()["name"] == "李四"
    assert manager.post("/api/v1/staff", json={"staff": "0601", "name": "李四", "role": "staff",
                                               "password": "good-pass-1"}).status_code == 400
    assert hall.client().post("/api/v1/login", json={"staff": "0601", "password": "good-pass-1"}).status_code == 200
    assert manager.post("/api/v1/staff/disable", json={"staff": "0601"}).json()["active"] is False
    assert hall.client().post("/api/v1/login", json={"staff": "0601", "password": "good-pass-1"}).status_code == 401
    assert manager.post("/api/v1/staff/enable", json={"staff": "0601"}).json()["active"] is True
    assert manager.post("/api/v1/staff/password", json={"staff": "0601", "password": "new-pass-22"}).status_code == 200
    assert hall.client().post("/api/v1/login", json={"staff": "0601", "password": "new-pass-22"}).status_code == 200
    assert {m["staff"] for m in manager.get("/api/v1/staff").json()} >= {"0601", "0900"}
    r = manager.post("/api/v1/devices", json={"name": "kiosk-9", "role": "kiosk"})
    assert r.status_code == 201 and r.json()["token"].startswith("jhd_")
    kiosk = hall.client(r.json()["token"])
    assert kiosk.get("/api/v1/whoami").json()["name"] == "kiosk-9"
    assert "token" not in manager.get("/api/v1/devices").json()[0]
    assert manager.post("/api/v1/devices/revoke", json={"name": "kiosk-9"}).json()["active"] is False
    assert kiosk.get("/api/v1/whoami").status_code == 401
    actions = [a["action"] for a in manager.get("/api/v1/actions").json()]
    assert "device_add" in actions and "staff_add" in actions


def test_the_notice_reaches_the_hall_screen_and_boards(queue, clock):
    from display.boards import board_lines
    from display.screen_model import ScreenModel
    from hall.manage_ops import ManagerActions
    model = ScreenModel(queue)
    configured = queue.config.hall.notice
    acts = ManagerActions(queue, "0900", "王经理")
    acts.notice("下午停电，暂停办理", "停电", "Power cut this afternoon", minutes=30)
    model.update()
    assert (model.state().notice, model.state().notice_en) == ("下午停电，暂停办理", "Power cut this afternoon")
    assert board_lines(model.state(), 3)[-1] == "下午停电，暂停办理"
    queue.issue("A"), queue.issue("A")
    queue.login(1, "0517")
    queue.call_next(1), queue.call_next(1)
    model.update()
    assert board_lines(model.state(), 2)[1] == "下午停电，暂停办理"  # before the earlier calls
    assert ScreenModel(queue).state().notice == "下午停电，暂停办理"  # a screen started later catches up
    clock.advance(minutes=31)
    assert model.state().notice == configured  # its time is up
    acts.notice("请走东门", "施工")
    acts.clear_notice("施工结束")
    model.update()
    assert model.state().notice == configured
