"""Offline issue: a kiosk on the LAN keeps printing tickets while the hall server cannot
be reached (docs/network.md, "Offline issue").

:class:`OfflineHall` is the kiosk's :class:`hall.port.Hall`: the :class:`RemoteHall`
it wraps for everything, except that issuing a ticket falls back to the kiosk's number
lease (hall/leases.py) when the server does not answer. Its keeper thread:

- asks ``GET /leases/clock`` every second; after ``OFFLINE_AFTER_S`` without an answer (or
  when an issue got none) the kiosk is **offline** and issues from its leases, each
  ticket written to the :class:`OfflineJournal` before it is printed;
- keeps the leases (``POST /leases`` at start, every ``RENEW_S`` and after each upload),
  and measures the kiosk's clock from each answer (``server_time`` against the midpoint
  of the request on the kiosk's clock) with the same :class:`hall.clock_offset.ClockFilter`
  the heartbeat uses (the fastest of the last 8 round trips): offline tickets carry the
  kiosk's time and that offset, and the server orders them by the corrected time. It is
  measured on the hall clock the tickets are stamped with; the heartbeat's, on the
  system clock, is the one `diag check` flags (the two are one clock in a real hall);
- makes each offline ticket's status-page token itself (hall/ticket_token.py) and prints
  its QR code with the citizens' address the last lease answer gave (``status_base``);
  the upload carries the token and the merge keeps it, so the QR works once merged;
- when the server answers again, uploads the journal (``POST /leases/tickets``, the
  server merges each ticket once), renews the leases, and only then goes back online.

It **stops** (暂停取号，请到服务台) when offline longer than ``[kiosk]
offline_max_minutes`` since the last answer, or when the tapped service's lease is
spent, and recovers by itself when the server answers.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from hall import wire
from hall.clock import business_day
from hall.clock_offset import ClockFilter, measure
from hall.errors import DailyCapReached, HallError, ServerUnreachable, ServiceClosed, UnknownService
from hall.lease_client import LeaseClient
from hall.models import Ticket
from hall.public_url import STATUS_PATH

from .offline_journal import OfflineJournal

log = logging.getLogger(__name__)

ONLINE, OFFLINE, STARTING = "online", "offline", "starting"
PROBE_S = 1.0
OFFLINE_AFTER_S = 3.0
RENEW_S = 30.0
UPLOAD_BATCH = 200
TOO_LONG, SPENT, NO_LEASE = "too_long", "spent", "no_lease"


class OfflineStopped(HallError):
    """No ticket can be issued offline now: ``reason`` too_long, spent or no_lease."""

    code = "offline_stopped"

    def __init__(self, reason: str, en: str, zh: str):
        super().__init__(en, zh=zh)
        self.reason = reason


@dataclass(frozen=True)
class OfflineTicket(Ticket):
    """A ticket printed from the lease while the server could not be reached."""

    offline: bool = True
    ahead_estimate: int | None = None  # people ahead as far as the kiosk can know


class OfflineHall:
    """``RemoteHall`` with offline issue from number leases (see the module docstring)."""

    def __init__(self, remote, journal: OfflineJournal, *, start: bool = True):
        self.remote = remote
        self.journal = journal
        # a kiosk restarted with tickets still to send was offline: it stays so until the server answers
        self.state = OFFLINE if journal.pending() else STARTING
        self._last_ok = time.monotonic()  # the kiosk starts hopeful: OFFLINE_AFTER_S before it says otherwise
        self._renewed_at = 0.0
        self._snap = None  # (HallSnapshot, kiosk time) of the last figures read
        self._clock = ClockFilter()  # the kiosk's hall clock against the server's hall time
        self._lock = threading.Lock()  # one sync (upload, renew) at a time
        self._stop = threading.Event()
        self.client = LeaseClient(remote.server, remote._device_token, self._kiosk_ts, remote.timeout_s)
        self._thread = threading.Thread(target=self._run, name="kiosk-lease", daemon=True)
        self.uploaded = 0  # offline tickets merged since start (tests and the technician menu)
        self.last_upload_s: float | None = None
        if start:
            self._thread.start()

    def __getattr__(self, name):  # every other operation and read: the remote hall's
        return getattr(self.remote, name)

    # -- state for the screen ------------------------------------------------------------
    def offline_status(self) -> tuple[str, str | None]:
        """("online" | "offline" | "stopped", reason): what the kiosk's home screen says."""
        if self.state != OFFLINE:
            return ONLINE, None
        if self._too_long():
            return "stopped", TOO_LONG
        day = self._day()
        leases = [l for l in self.journal.leases().values() if l.day == day]
        if not leases:
            return "stopped", NO_LEASE
        if all(l.left <= 0 for l in leases):
            return "stopped", SPENT
        return OFFLINE, None

    @property
    def offset_s(self) -> float | None:
        return self.journal.get("offset_s")

    def _kiosk_ts(self) -> float:
        return self.remote.clock().timestamp()

    def _day(self) -> str:
        """The business day by the server's clock, as far as the kiosk knows it."""
        return business_day(datetime.fromtimestamp(self._kiosk_ts() + (self.offset_s or 0.0)))

    def _too_long(self) -> bool:
        last = self.journal.get("last_contact")
        limit = 60.0 * self.remote.config.kiosk.offline_max_minutes
        return last is None or self._kiosk_ts() - last > limit

    # -- issuing ---------------------------------------------------------------------------
    def issue(self, service: str, priority: bool = False, kiosk: str | None = None) -> Ticket:
        if self.state != OFFLINE:
            body = {"service": service, "priority": priority}
            if kiosk:
                body["kiosk"] = kiosk
            key = uuid.uuid4().hex
            try:
                r = self.remote.request("POST", "/tickets", json=body, idempotency_key=key)
                self._last_ok = time.monotonic()
                return self.remote._read(wire.ticket, r.json())
            except ServerUnreachable:
                log.warning("the hall server did not answer an issue: printing from the lease")
                self._went_offline()
                return self._issue_offline(service, priority, supersedes=key)
        return self._issue_offline(service, priority)

    def _issue_offline(self, service: str, priority: bool, supersedes: str | None = None) -> Ticket:
        cfg = self.remote.config
        try:
            svc = cfg.service(service)
        except KeyError:
            raise UnknownService(f"unknown service {service!r}", zh=f"没有业务 {service}") from None
        state, reason = self.offline_status()
        if reason == TOO_LONG:
            raise OfflineStopped(TOO_LONG, f"offline for more than {cfg.kiosk.offline_max_minutes} minutes",
                                 f"离线已超过 {cfg.kiosk.offline_max_minutes} 分钟")
        if not self.remote.is_open(service):
            raise ServiceClosed(f"{svc.name} is not open now", zh=f"{svc.name}现在不在办理时间")
        day, now = self._day(), self._kiosk_ts()
        if svc.daily_cap is not None and not priority:
            snap = self._snap[0] if self._snap else None
            known = snap.services[service].issued_today if snap and service in snap.services else 0
            if known + self.journal.issued_on(service, day) >= svc.daily_cap:
                raise DailyCapReached(f"{svc.name} has reached today's limit", zh=f"{svc.name}今日号已取完")
        taken = self.journal.take(svc.ticket_prefix, day, service, priority, now, self.offset_s, supersedes,
                                  self.journal.get("offset_error_s"))
        if taken is None and svc.ticket_prefix not in self.journal.leases():
            raise OfflineStopped(NO_LEASE, f"this kiosk holds no reserved numbers for {svc.name}",
                                 f"本机没有{svc.name}的预留号")
        if taken is None:
            raise OfflineStopped(SPENT, f"no reserved numbers left for {svc.name}", f"{svc.name}的预留号已用完")
        local_id, seq, number, rowid, token = taken
        estimate = self._estimate(service, now)
        log.warning("offline ticket %s (%s) from the lease, local id %s", number, service, local_id)
        base = self.journal.get("status_base")  # the server's citizens' address, from the last lease answer
        return OfflineTicket(id=-rowid, day=day, number=number, seq=seq, service=service, service_name=svc.name,
                             kind="priority" if priority else "normal", status="waiting", window=None,
                             ahead=estimate or 0, issued_at=now, ahead_estimate=estimate, token=token,
                             status_url=f"{base}{STATUS_PATH}{token}" if base else None)

    def _estimate(self, service: str, now: float) -> int | None:
        """People ahead as the kiosk can know it: the last figures read plus what it issued
        offline since (windows calling meanwhile make the real number smaller)."""
        if self._snap is None:
            return None
        snap, at = self._snap
        fig = snap.services.get(service)
        if fig is None:
            return None
        return max(0, fig.waiting + self.journal.issued_since(service, at) - 1)

    def cancel(self, ticket_id: int, reason: str) -> Ticket:
        if ticket_id < 0:  # an offline ticket: voided in the journal, sent as cancelled
            self.journal.cancel(-ticket_id, reason)
            return Ticket(ticket_id, self._day(), "", 0, "", "", "normal", "cancelled", None, 0, self._kiosk_ts(),
                          cancel_reason=reason)
        return self.remote.cancel(ticket_id, reason)

    def snapshot(self):
        snap = self.remote.snapshot()
        if getattr(snap, "ok", True):
            self._snap = (snap, self._kiosk_ts())
        return snap

    # -- the keeper ---------------------------------------------------------------------------
    def _went_offline(self) -> None:
        if self.state != OFFLINE:
            self.state = OFFLINE
            log.warning("the hall server does not answer: issuing offline from the leases")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - the keeper must live as long as the kiosk
                log.exception("lease keeper")
            self._stop.wait(PROBE_S)

    def sync(self) -> None:
        """One round of the keeper: probe; on an answer, upload, renew, go online."""
        with self._lock:
            try:
                d, t0, t1 = self.client.server_clock(min(1.5, self.remote.timeout_s))
                ok = True
                if d is not None:
                    self._learn_clock(d, t0, t1)
                elif self.state == OFFLINE:  # the server is there and refuses this kiosk (a revoked
                    self.state = STARTING    # token): no offline ticket; a tap says the server's words
                    log.warning("the hall server refuses this kiosk's credential: no offline issue")
                    return
            except (ServerUnreachable, ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                if time.monotonic() - self._last_ok > OFFLINE_AFTER_S:
                    self._went_offline()
                return
            self._last_ok = time.monotonic()
            try:
                if self.state != ONLINE or self.journal.pending():
                    t0 = time.monotonic()
                    sent = self._upload()
                    self._renew()
                    if self.state == OFFLINE:
                        log.warning("the hall server answers again: %d offline ticket(s) sent in %.2f s; online",
                                    sent, time.monotonic() - t0)
                    self.last_upload_s = time.monotonic() - t0
                    self.state = ONLINE
                elif time.monotonic() - self._renewed_at > RENEW_S or not self._leases_for_today():
                    self._renew()
            except HallError as e:  # unreachable again, or a refusal (said in the log)
                log.info("lease keeper: %s", e)

    def _leases_for_today(self) -> bool:
        day = self._day()
        return any(l.day == day for l in self.journal.leases().values())

    def _learn_clock(self, d: dict, t0: float, t1: float) -> None:
        """The offset from the quickest of the last few answers (NTP's rule: the shorter the
        round trip, the less it can be wrong, by at most half of it). The journal keeps it as
        server minus kiosk, what an offline ticket is corrected by."""
        best = self._clock.add(measure(t0, float(d["server_time"]), t1))
        self.journal.put(offset_s=-best.offset_s, offset_error_s=best.uncertainty_s, last_contact=t1)

    def _renew(self) -> None:
        d, t0, t1 = self.client.leases()
        self._learn_clock(d, t0, t1)
        if d.get("status_base"):
            self.journal.put(status_base=d["status_base"])
        self.journal.set_leases(d["leases"])
        self._renewed_at = time.monotonic()

    def _upload(self) -> int:
        sent = 0
        while True:
            batch = self.journal.unsent(UPLOAD_BATCH)
            if not batch:
                return sent
            d, t0, t1 = self.client.upload(batch)
            self._learn_clock(d, t0, t1)
            for r in d["results"]:
                if r["result"] == "refused":
                    log.error("offline ticket %s refused by the server: %s", r["local_id"], r.get("error"))
            self.journal.mark_sent(d["results"])
            sent += d["merged"]
            self.uploaded += d["merged"]

    def give_back(self) -> bool:
        """Return the leases (a clean shutdown with nothing left to send): no gap they leave."""
        with self._lock:
            if self.state != ONLINE or self.journal.pending():
                return False
            try:
                self.client.give_back()
            except HallError as e:
                log.info("leases not given back: %s", e)
                return False
            self.journal.set_leases([])
            return True

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.give_back()
        self.client.close()
        self.journal.close()
        self.remote.close()
