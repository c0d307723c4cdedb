"""好差评 ratings on the queue: levels, channels, one evaluation + one 追加评价, the
evaluator's score mapping, details from the phone/tablet, 未评价 never written."""
from __future__ import annotations


import pytest

from hall.errors import InvalidArgument
from hall.ratings import CHANNELS, level_from_score


def served(queue, window=1, service="A", staff="1001"):
    queue.login(window, staff)
    t = queue.issue(service)
    queue.call_next(window)
    queue.finish(window)
    return t


def test_evaluator_score_maps_to_national_level(queue):
    t = served(queue)
    queue.rate(1, 5)  # the evaluator's 5 非常满意
    r = queue.ticket_rating(t.id)["ratings"]
    assert [(x["level"], x["level_name"], x["channel"], x["channel_name"], x["seq"]) for x in r] == \
        [(1, "非常满意", "terminal", "政务大厅其他终端", 1)]
    assert [level_from_score(s) for s in (5, 4, 3, 2, 1)] == [1, 2, 3, 4, 5]


def test_phone_rating_on_qrcode_channel_with_problems(queue):
    t = served(queue)
    out = queue.rate_ticket(t.id, 4, "二维码", problems=["办事效率低", "多次跑动"], text="等了很久", rater="张三")
    assert (out["level"], out["channel"], out["seq"], out["rater"]) == (4, "qrcode", 1, "张三")
    assert out["problems"] == ["办事效率低", "多次跑动"] and out["followup"] is not None
    # the queue's own evaluations table (reports) keeps the evaluator's 1-5 direction
    row = queue._conn.execute("SELECT score, window, staff FROM evaluations WHERE ticket_id = ?", (t.id,)).fetchone()
    assert tuple(row) == (2, 1, "1001")
    # the keypad cannot rate the same case again
    with pytest.raises(InvalidArgument):
        queue.rate(1, 5)


def test_one_evaluation_then_one_append_within_days(queue, clock):
    t = served(queue)
    queue.rate(1, 3)  # level 3 基本满意
    clock.advance(days=3)
    again = queue.rate_ticket(t.id, 2, "mobile", text="后来办好了")
    assert again["seq"] == 2 and again["channel_name"] == "移动服务端"
    with pytest.raises(InvalidArgument, match="rated again already"):
        queue.rate_ticket(t.id, 1, "mobile")


def test_append_after_the_period_is_refused(queue, clock):
    t = served(queue)
    queue.rate_ticket(t.id, 2, "qrcode")
    clock.advance(days=queue.config.ratings.append_days, seconds=1)
    with pytest.raises(InvalidArgument, match="more than 7 days"):
        queue.rate_ticket(t.id, 1, "qrcode")


def test_details_complete_the_evaluator_rating_once(queue):
    t = served(queue)
    queue.rate(1, 1)  # 非常不满意
    out = queue.rate_ticket(t.id, None, "terminal", problems=["服务态度差"], text="态度不好")
    assert (out["seq"], out["level"], out["problems"], out["text"]) == (1, 5, ["服务态度差"], "态度不好")
    with pytest.raises(InvalidArgument, match="given already"):
        queue.rate_ticket(t.id, None, "terminal", text="再说一次")


@pytest.mark.parametrize("kwargs, match", [
    (dict(level=0, channel="qrcode"), "level must be 1-5"),
    (dict(level=6, channel="qrcode"), "level must be 1-5"),
    (dict(level=True, channel="qrcode"), "level must be 1-5"),
    (dict(level=1, channel="微信"), "unknown rating channel"),
    (dict(level=4, channel="qrcode", problems=["太热"]), "unknown problem option"),
    (dict(level=1, channel="qrcode", problems=["服务态度差"]), "不满意 or 非常不满意 only"),
    (dict(level=4, channel="qrcode", problems=["服务态度差", "服务态度差"]), "twice"),
    (dict(level=3, channel="qrcode", text="长" * 501), "longer than 500"),
    (dict(level=None, channel="qrcode", text="x"), "no rating to add reasons to"),
])
def test_bad_ratings_are_refused_clearly(queue, kwargs, match):
    t = served(queue)
    with pytest.raises(InvalidArgument, match=match) as e:
        queue.rate_ticket(t.id, **kwargs)
    assert e.value.zh  # a Chinese sentence for the citizen or staff
    assert queue._conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_only_served_tickets_are_rated(queue):
    t = queue.issue("A")
    with pytest.raises(InvalidArgument, match="not been served"):
        queue.rate_ticket(t.id, 1, "qrcode")


def test_unrated_case_writes_nothing_and_is_never_satisfied(queue):
    t = served(queue)
    queue.call_next(1)  # the next citizen: the first one left without rating
    info = queue.ticket_rating(t.id)
    assert info["state"] == "unrated" and info["ratings"] == [] and info["can_rate"]
    assert queue._conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
    assert queue._conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 0


def test_every_channel_has_its_standard_name(queue):
    assert set(CHANNELS.values()) >= {"政务大厅其他终端", "二维码", "移动服务端", "短信", "电话"}
    for key, name in CHANNELS.items():
        t = served(queue)
        assert queue.rate_ticket(t.id, 2, name)["channel"] == key


@pytest.mark.parametrize("channel", ["qrcode", "terminal"])
def test_rating_events(queue, channel):
    t = served(queue)
    queue.rate_ticket(t.id, 5, channel)
    kinds = [(e.kind, e.data.get("level")) for e in queue.events_after(0) if e.ticket_id == t.id]
    assert kinds.count(("rated", 5)) == 1 and ("followup_opened", None) in kinds


def test_the_evaluator_writes_one_rated_event(queue):
    t = served(queue)
    queue.rate(1, 1)
    rated = [e.data for e in queue.events_after(0) if e.ticket_id == t.id and e.kind == "rated"]
    assert [(d["score"], d["level"], d["channel"]) for d in rated] == [(1, 5, "terminal")]


def test_software_caller_attaches_a_typed_case_number(qtbot, queue, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QInputDialog

    from caller.panel import CallerModel, CallerPanel
    queue.login(5, "0501")
    t = queue.issue("C")
    panel = CallerPanel(CallerModel(queue, 5), refresh_ms=50)
    qtbot.addWidget(panel)
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: asked.append(a) or ("", False))
    try:
        qtbot.mouseClick(panel.case_button, Qt.LeftButton)  # nothing served yet: no question asked
        assert asked == []
        assert "不能登记办件" in panel.message.text()
        queue.call_next(5)
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (" 340102202611230042 ", True))
        qtbot.mouseClick(panel.case_button, Qt.LeftButton)
        assert panel.message.text() == f"已登记办件 340102202611230042（{t.number}）"
        assert queue.ticket_rating(t.id)["cases"] == [
            {"case_no": "340102202611230042", "item_code": "", "source": "caller"}]
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("bad number!", True))
        qtbot.mouseClick(panel.case_button, Qt.LeftButton)
        assert "办件编号" in panel.message.text() and "须为" in panel.message.text()
    finally:
        panel.timer.stop()


def test_scores_from_before_the_migration_become_evaluations(tmp_path, demo_config, clock):
    """A hall upgraded with a day of evaluator scores: they are the cases' ratings, not 未评价."""
    import sqlite3

    from hall import HallQueue
    db = tmp_path / "old.sqlite"
    q = HallQueue(db, demo_config, clock)
    t = served(q)
    q.rate(1, 2)
    q.close()
    conn = sqlite3.connect(db)  # as the previous version left it: no 好差评 tables
    for table in ("followup_steps", "followups", "ratings", "cases"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM migrations WHERE name LIKE '0007%'")
    conn.commit()
    conn.close()
    q = HallQueue(db, demo_config, clock)
    try:
        r = q.ticket_rating(t.id)
        assert [(x["level"], x["channel"], x["seq"]) for x in r["ratings"]] == [(4, "terminal", 1)]
        assert q.followups() == []  # history is not followed up now
    finally:
        q.close()
