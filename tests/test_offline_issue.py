"""Kiosks keep issuing through a controller stop and network cuts (kiosk/offline.py,
hall/leases.py), against a real `jiaohao serve` on 127.0.0.1.

The 10-minute stop is simulated: every process (serve, its restart, the kiosks in this
test) runs the hall clock from 2026-11-23 09:00 at 60 times real time from one anchor
(JIAOHAO_CLOCK_SPEED, JIAOHAO_CLOCK_ANCHOR), so serve killed for 10 real seconds is down
for 10 hall minutes, and the kiosks' tickets carry hall times 10 minutes apart."""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from config import load_hall
from hall.clock import AnchoredClock
from hall.remote import RemoteHall
from kiosk.offline import OFFLINE, ONLINE, OfflineHall
from kiosk.offline_journal import OfflineJournal
from tests.fault_proxy import FaultProxy
from tests.net_helpers import NOW, NetHall, post_once, wait_until

SPEED = 60.0


@pytest.fixture
def hall_clock(monkeypatch):
    anchor = time.time()
    monkeypatch.setenv("JIAOHAO_CLOCK_SPEED", str(SPEED))
    monkeypatch.setenv("JIAOHAO_CLOCK_ANCHOR", repr(anchor))
    return AnchoredClock(datetime.fromisoformat(NOW), anchor, SPEED)


def _hall(tmp_path, kiosks: tuple[str, ...], lease_size: int = 60) -> NetHall:
    h = NetHall(tmp_path).prepare()
    text = h.config.read_text(encoding="utf-8")
    h.config.write_text(text.replace("[kiosk]\n", f"[kiosk]\nlease_size = {lease_size}\n", 1), encoding="utf-8")
    try:
        for k in kiosks:
            h.add_device(k, "kiosk")
        h.add_device("controller-1", "controller")
        h.start_serve()
    except BaseException:
        h.close()
        raise
    return h


class Clock:
    """A kiosk PC's clock: the hall clock plus a skew (seconds)."""

    def __init__(self, base, skew_s: float = 0.0):
        self.base, self.skew = base, timedelta(seconds=skew_s)

    def __call__(self) -> datetime:
        return self.base() + self.skew


def _kiosk(h: NetHall, name: str, journal, clock, server: str | None = None) -> OfflineHall:
    remote = RemoteHall(server or h.url, h.tokens[name], load_hall(h.config), timeout_s=3.0, clock=clock,
                        stream=False)
    return OfflineHall(remote, OfflineJournal(journal, server or h.url))


def _rows(db) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT t.*, l.local_id FROM tickets t LEFT JOIN lease_tickets l ON l.ticket_id = t.id "
                            "ORDER BY t.service, t.lane, t.sort_key, t.id").fetchall()
    finally:
        conn.close()


def test_two_kiosks_issue_100_each_through_a_10_minute_stop(tmp_path, hall_clock):
    h = _hall(tmp_path, ("kiosk-1", "kiosk-2"))
    kiosks = {}
    try:
        journals = {k: tmp_path / f"{k}.journal" for k in ("kiosk-1", "kiosk-2")}
        kiosks = {k: _kiosk(h, k, journals[k], hall_clock) for k in journals}
        assert wait_until(lambda: all(len(k.journal.leases()) > 0 for k in kiosks.values()), 15)
        ctl = h.client("controller-1")
        printed: list[tuple[str, str, float, str]] = []  # (number, kiosk, hall time, how)
        lock = threading.Lock()

        def online(by: str, n: int) -> None:
            for _ in range(n):
                at = hall_clock().timestamp()
                r = post_once(ctl, "/tickets", {"service": "A"})
                assert r.status_code == 201, r.text
                printed.append((r.json()["number"], by, at, "online"))

        for name, k in kiosks.items():
            for svc in "AB":
                t = k.issue(svc, kiosk=name)
                assert not getattr(t, "offline", False)
                printed.append((t.number, name, t.issued_at, "online"))
        online("controller", 2)

        h.serve.kill()  # the controller stops
        killed = time.monotonic()
        up_at: list[float] = []

        def watch_health() -> None:
            while time.monotonic() - killed < 60 and not up_at:
                if h.serve.health():
                    up_at.append(time.monotonic())
                time.sleep(0.02)

        errors: list[BaseException] = []

        def issue_100(name: str) -> None:
            try:
                for i in range(100):
                    k = kiosks[name]
                    t = k.issue("AB"[i % 2], kiosk=name)
                    with lock:
                        printed.append((t.number, name, t.issued_at, "offline" if getattr(t, "offline", False)
                                        else "online"))
                    if name == "kiosk-2" and i == 49:  # the kiosk restarts in the middle of the cut
                        k.close()
                        kiosks[name] = _kiosk(h, name, journals[name], hall_clock)
                        assert kiosks[name].state == OFFLINE
                    time.sleep(0.08)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=issue_100, args=(n,)) for n in kiosks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        offline = [p for p in printed if p[3] == "offline"]
        assert len(offline) == 200
        assert all(k.journal.pending() > 0 for k in kiosks.values())

        # back after 10 hall minutes
        assert wait_until(lambda: time.monotonic() - killed >= 600 / SPEED, 30)
        watcher = threading.Thread(target=watch_health, daemon=True)
        watcher.start()
        h.start_serve()
        watcher.join(10)
        online("controller", 3)  # citizens at the desk right after the return: behind the offline ones
        assert wait_until(lambda: all(k.state == ONLINE and not k.journal.pending() for k in kiosks.values()), 20)
        recovered = time.monotonic() - up_at[0]
        stop_min = (up_at[0] - killed) * SPEED / 60

        rows = _rows(h.db)
        numbers = [r["number"] for r in rows]
        assert len(numbers) == len(set(numbers)), "a number was issued twice"
        assert sorted(numbers) == sorted(p[0] for p in printed), "a printed ticket is missing or extra"
        by_number = {r["number"]: r for r in rows}
        for number, kiosk, _, how in printed:
            if how == "offline":
                assert by_number[number]["kiosk"] == kiosk and by_number[number]["local_id"]
        # merged in issue-time order: within each service's queue, the hall times at which the
        # tickets were printed only go forward, up to what the offsets the tickets carried may
        # be wrong by (half the round trip each was measured over: at 60x, a loaded machine's
        # 20 ms are 0.6 hall seconds; on a real LAN, milliseconds)
        slack = 2 * max(k.journal.largest_offset_error() for k in kiosks.values()) + 0.1
        when = {p[0]: p[2] for p in printed}
        for svc in "AB":
            order = [r["number"] for r in rows if r["service"] == svc and r["status"] == "waiting"]
            times = [when[n] for n in order]
            late = [(order[i], order[i + 1]) for i in range(len(times) - 1) if times[i] > times[i + 1] + slack]
            assert not late, f"service {svc}: out of issue-time order: {late[:5]}"
        print(f"\n[offline-issue] stop {stop_min:.1f} hall min; 200 offline tickets (2 kiosks, one restarted); "
              f"merged and online {recovered:.2f} s after serve answered; duplicates 0; tickets {len(rows)}; "
              f"order exact to {slack:.2f} hall s")
        assert recovered < 10.0
    finally:
        for k in kiosks.values():
            k.close()
        h.close()


def test_skewed_kiosks_through_a_cut_are_ordered_and_flagged(tmp_path, hall_clock):
    """One kiosk 5 minutes fast, one 5 minutes slow, both cut off by the proxy while the
    controller keeps issuing: the hall orders everything by its own time."""
    h = _hall(tmp_path, ("kiosk-1", "kiosk-2"), lease_size=10)
    proxy = FaultProxy(h.port, lifetime_s=120)
    proxy.start()
    kiosks = {}
    try:
        kiosks = {"kiosk-1": _kiosk(h, "kiosk-1", tmp_path / "k1", Clock(hall_clock, +300), proxy.url),
                  "kiosk-2": _kiosk(h, "kiosk-2", tmp_path / "k2", Clock(hall_clock, -300), proxy.url)}
        assert wait_until(lambda: all(k.journal.leases() and k.state == ONLINE for k in kiosks.values()), 15)
        for k in kiosks.values():
            assert abs(abs(k.offset_s) - 300) < 5
        flagged = {k["name"]: k for k in h.client("controller-1").get("/leases").json()["kiosks"]}
        assert flagged["kiosk-1"]["skew_flagged"] and flagged["kiosk-2"]["skew_flagged"]
        assert flagged["kiosk-1"]["clock_offset_s"] < -290 and flagged["kiosk-2"]["clock_offset_s"] > 290

        proxy.refuse(8.0)  # the kiosks' switch: nothing gets through for 8 s
        assert wait_until(lambda: all(k.state == OFFLINE for k in kiosks.values()), 6)
        ctl = h.client("controller-1")
        truth: dict[str, float] = {}
        online_error = 0.0
        for i in range(6):
            for name, k in kiosks.items():
                at = hall_clock().timestamp()
                t = k.issue("A", kiosk=name)
                assert t.offline and t.number
                truth[t.number] = at
                time.sleep(0.05)
            at = hall_clock().timestamp()
            number = post_once(ctl, "/tickets", {"service": "A"}).json()["number"]
            after = hall_clock().timestamp()
            truth[number] = (at + after) / 2  # stamped by the server somewhere in between
            online_error = max(online_error, (after - at) / 2)
            time.sleep(0.05)
        assert wait_until(lambda: all(k.state == ONLINE and not k.journal.pending() for k in kiosks.values()), 20)
        rows = [r for r in _rows(h.db) if r["service"] == "A" and r["number"] in truth]
        assert len(rows) == 18
        times = [truth[r["number"]] for r in rows]
        slack = max(k.journal.largest_offset_error() for k in kiosks.values()) * 2 + online_error + 0.1
        assert all(a <= b + slack for a, b in zip(times, times[1:])), [r["number"] for r in rows]
        # the ticket times are the hall's: neither 5 minutes ahead nor behind
        for r in rows:
            assert abs(r["issued_at"] - truth[r["number"]]) < slack
    finally:
        for k in kiosks.values():
            k.close()
        proxy.stop()
        h.close()


@contextmanager
def _kiosk_behind_proxy(tmp_path, hall_clock, lease_size: int = 5):
    """(hall, proxy, kiosk-1 online through the proxy), all stopped after."""
    h = _hall(tmp_path, ("kiosk-1",), lease_size=lease_size)
    proxy = FaultProxy(h.port, lifetime_s=60)
    proxy.start()
    k = None
    try:
        k = _kiosk(h, "kiosk-1", tmp_path / "k1", hall_clock, proxy.url)
        assert wait_until(lambda: k.journal.leases() and k.state == ONLINE, 15)
        yield h, proxy, k
    finally:
        if k is not None:
            k.close()
        proxy.stop()
        h.close()


def test_lost_answer_prints_offline_once(tmp_path, hall_clock):
    """The server issues but every answer is lost: the kiosk prints from its lease, and
    the server's ticket nobody holds is cancelled when the offline one arrives."""
    with _kiosk_behind_proxy(tmp_path, hall_clock) as (h, proxy, k):
        rule = proxy.drop_responses(count=None, match=lambda m, p: m == "POST" and p.endswith("/tickets"))
        t = k.issue("A", kiosk="kiosk-1")
        assert t.offline
        proxy.clear()
        assert rule is not None
        assert wait_until(lambda: k.state == ONLINE and not k.journal.pending(), 15)
        rows = [r for r in _rows(h.db) if r["service"] == "A"]
        waiting = [r["number"] for r in rows if r["status"] == "waiting"]
        assert waiting == [t.number]
        assert [r["cancel_reason"] for r in rows if r["status"] == "cancelled"] == ["offline_duplicate"]


def test_black_hole_and_resets_during_a_burst_never_double_a_ticket(tmp_path, hall_clock):
    """Connections stalled (a black hole: no FIN, no RST) and then reset while a kiosk
    issues: every tap gives one ticket that the hall has once, none more."""
    h = _hall(tmp_path, ("kiosk-1",), lease_size=30)
    proxy = FaultProxy(h.port, lifetime_s=90)
    proxy.start()
    k = None
    try:
        k = _kiosk(h, "kiosk-1", tmp_path / "k1", hall_clock, proxy.url)
        assert wait_until(lambda: bool(k.journal.leases()) and k.state == ONLINE, 15)
        printed = []
        for i in range(24):
            if i == 6:
                proxy.stall()  # the open connections hang
            if i == 12:
                proxy.cut()  # and are reset
            if i == 16:
                proxy.refuse(6.0)  # and nothing gets through for 6 s
            t = k.issue("A", kiosk="kiosk-1")
            printed.append((t.number, getattr(t, "offline", False)))
            time.sleep(0.05)
        assert wait_until(lambda: k.state == ONLINE and not k.journal.pending(), 20)
        rows = [r for r in _rows(h.db) if r["service"] == "A"]
        waiting = sorted(r["number"] for r in rows if r["status"] == "waiting")
        assert waiting == sorted(n for n, _ in printed)  # every printed ticket, once
        assert all(r["cancel_reason"] == "offline_duplicate" for r in rows if r["status"] == "cancelled")
        print(f"\n[faults] 24 taps through stall/reset/refuse: {sum(o for _, o in printed)} printed offline, "
              f"{sum(1 for r in rows if r['status'] == 'cancelled')} unheld server tickets cancelled")
    finally:
        if k is not None:
            k.close()
        proxy.stop()
        h.close()


def test_offline_ticket_qr_works_once_merged(tmp_path, hall_clock):
    """The kiosk makes an offline ticket's status-page token itself and prints the QR code
    with the address the lease answer gave; the merge keeps the token, so that very QR
    opens the ticket's status page once the kiosk is back."""
    import httpx

    from kiosk.ticket_layout import qr_content
    with _kiosk_behind_proxy(tmp_path, hall_clock) as (h, proxy, k):
        proxy.refuse(6.0)
        assert wait_until(lambda: k.state == OFFLINE, 6)
        t = k.issue("A", kiosk="kiosk-1")
        assert t.offline and len(t.token) == 32 and int(t.token, 16) >= 0
        qr = qr_content(k.remote.config.printer.qr, t)
        assert qr == f"{h.public_url}/t/{t.token}"  # the citizens' listener, not the proxy nor the kiosk PC
        assert wait_until(lambda: k.state == ONLINE and not k.journal.pending(), 20)
        r = httpx.get(qr, headers={"Accept": "application/json"}, timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["number"] == t.number and r.json()["state"] == "waiting"
        tokens = {row["number"]: row["token"] for row in _rows(h.db)}
        assert tokens[t.number] == t.token
