"""The hall over its network: :class:`RemoteHall` is :class:`hall.port.Hall` on the hall
API of `jiaohao serve` (docs/api.md), for kiosks, window PCs, TV screens and scripts.

- Every request has the ``[client] timeout_s`` budget, retries included: a server that
  does not answer becomes :class:`ServerUnreachable` ("连接不上叫号服务器 (address)")
  within that time, so a screen never freezes for longer.
- Every write carries a fresh ``Idempotency-Key``, sent again on each retry of that same
  operation: a response lost on the way never issues or calls twice.
- A refusal (4xx) becomes the matching :class:`hall.errors.HallError` subclass, the
  same one the local queue raises, with the server's Chinese (``message_zh``) and
  English (``message_en``, also ``str()``) sentences.
- Events come from the event stream into a buffer (:mod:`hall.remote_events`), so
  ``events_after`` and ``last_event_id`` answer without a request; older ranges are read
  from ``GET /events/log``.

No Qt and no server code here.
"""
from __future__ import annotations

import hashlib
import json as _json_mod
import logging
import threading
import time
import uuid
from datetime import datetime

import httpx

from . import wire
from .clock import HallClock, system_clock
from .errors import (DailyCapReached, Forbidden, HallError, IdempotencyMismatch, InvalidArgument, NotAuthorized,
                     RemoteError, ServerProblem, ServerUnreachable, ServiceClosed, TooManyAttempts, UnknownService,
                     UnknownTicket, UnknownWindow, WindowNotReady)
from .bookings import AlreadyBooked, BookingSuspended, SlotFull
from .models import Event, Ticket, WindowState
from .remote_ops import RemoteOps, _path
from .snapshot import AppointmentInfo, HallSnapshot, ServiceFigures

log = logging.getLogger(__name__)

API = "/api/v1"
RETRY_PAUSE_S = 0.1
LOG_PAGE_MAX = 5000  # GET /events/log's largest page (server/routes/reads.py)
DOWN_GRACE_S = 3.0  # after no answer, reads fail at once for this long (writes still try)
FIRST_TRY_SHARE = 0.6  # of a write's budget: the rest is for its retry with the same key
PENDING_KEY_S = 60.0  # an unanswered write's key is used again by the same request this long
FIGURES_TIMEOUT_S = 1.0  # the kiosk's figures are read on its GUI thread: a short wait, then the last ones
LINK_GRACE_S = 3.0  # a stream down this long is said on screen (a restart of serve takes ~1 s)

ERRORS: dict[str, type[HallError]] = {
    "invalid": InvalidArgument, "bad_request": InvalidArgument, "idempotency_mismatch": IdempotencyMismatch,
    "unknown_service": UnknownService, "unknown_window": UnknownWindow, "unknown_ticket": UnknownTicket,
    "closed": ServiceClosed, "cap": DailyCapReached, "window_state": WindowNotReady,
    "slot_full": SlotFull, "already_booked": AlreadyBooked, "suspended": BookingSuspended,
}
BY_STATUS: dict[int, type[RemoteError]] = {401: NotAuthorized, 403: Forbidden, 429: TooManyAttempts}


def refusal(response: httpx.Response) -> HallError:
    """The HallError of an API refusal (its body: ``{"error": {code, message, message_en}}``)."""
    try:
        body = response.json()["error"]
        code, zh, en = body["code"], body.get("message") or "", body.get("message_en") or body.get("message") or ""
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
        return ServerProblem(f"the hall server answered {response.status_code}: {text}",
                             f"叫号服务器出错 ({response.status_code})", response.status_code)
    if response.status_code == 429:
        try:
            wait = float(response.headers.get("Retry-After", "0"))
        except ValueError:
            wait = 0.0
        return TooManyAttempts(en, zh, 429, code, retry_after=wait)
    cls = BY_STATUS.get(response.status_code)
    if cls is not None:
        return cls(en, zh, response.status_code, code)
    local = ERRORS.get(code)
    if local is not None and response.status_code < 500:
        e = local(en, zh=zh)
        e.message_en, e.message_zh, e.status = en, e.zh, response.status_code
        return e
    if response.status_code >= 500:
        return ServerProblem(en, zh, response.status_code, code)
    return RemoteError(en, zh, response.status_code, code)


class RemoteHall(RemoteOps):
    """The hall through its API. Thread-safe (one connection pool for every thread)."""

    def __init__(self, server: str, token: str | None, config, *, timeout_s: float = 3.0,
                 clock=system_clock, transport: httpx.BaseTransport | None = None, stream: bool = True):
        self.server = server.rstrip("/")
        self.clock = HallClock(clock, "")
        self.timeout_s = timeout_s
        self.use_config(config)
        self._token = self._device_token = token
        self._transport = transport
        self._http = httpx.Client(base_url=self.server + API, timeout=timeout_s, transport=transport,
                                  headers={"User-Agent": "jiaohao-client"})
        self._cursors: dict[str, int] = {}
        self._last_snapshot: HallSnapshot | None = None
        self._down_until = 0.0
        self._events = None  # hall.remote_events.EventBuffer, started on the first event read
        self._events_lock = threading.Lock()
        self._stream = stream
        self.session: dict | None = None  # the staff login this hall acts with (POST /login)
        self._hall_copy: tuple[float, dict] | None = None  # (when, GET /hall): reads of one moment share it
        self._pending: dict[str, tuple[str, float]] = {}  # unanswered writes: signature -> (key, when)
        self.heartbeat = None  # hall.heartbeat.Heartbeat once start_heartbeat() was called

    def use_config(self, config) -> None:
        """The hall configuration (None until known: a caller PC before its staff log in)."""
        self.config = config
        self._services = {s.code: s for s in config.services} if config is not None else {}
        self.clock.zone = config.hall.timezone if config is not None else ""

    def fetch_config(self):
        """The server's hall configuration (GET /config, with this hall's credential), kept
        as :attr:`config`; its TOML text in :attr:`config_text`."""
        from config import parse_hall
        d = self._json("GET", "/config")
        self.config_text = d["toml"]
        self.use_config(parse_hall(d["toml"], f"{self.server}{API}/config"))
        return self.config

    @property
    def location(self) -> str:
        return self.server

    def link_trouble(self) -> tuple[str, str] | None:
        """(zh, en) while the event stream is down (the screens say so), else None."""
        ev = self._events
        if ev is None or ev.connected:
            return None
        if ev.state == "revoked":  # for good: the token was revoked (or the login ended)
            return (f"叫号服务器不再接受本机的凭证，请联系技术人员 ({self.server})",
                    f"The hall server no longer accepts this PC's credential; ask the technician ({self.server})")
        if time.monotonic() - ev.down_since < LINK_GRACE_S:
            return None
        # on the hall screen citizens read it: no address (the technician finds it in the log)
        return ("连接中断，正在重连", "Connection to the hall server lost, reconnecting")

    def __repr__(self) -> str:
        return f"RemoteHall({self.server!r})"

    # -- plumbing ------------------------------------------------------------------------
    def _headers(self, key: str | None) -> dict[str, str]:
        h = {}
        if self._token:
            h["Authorization"] = f"Bearer {self._token}"
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def request(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None,
                timeout_s: float | None = None, idempotency_key: str | None = None) -> httpx.Response:
        """One operation within the time budget; a 4xx/5xx raised as its HallError.

        A write is retried on network failures and on a late answer with the same
        Idempotency-Key (its first try gets part of the budget, so a retry fits: the
        server answers it with the kept answer of the first). When the budget runs out
        unanswered, the key is kept a while for the same request: the next tap or key
        press of the same operation is then a retry of it, not a second operation.
        ``idempotency_key``: the caller's own key for this write (kiosk/offline.py names
        the online issue an offline ticket replaces by it); then nothing is kept."""
        budget = self.timeout_s if timeout_s is None else timeout_s
        write = method != "GET"
        if not write and time.monotonic() < self._down_until:
            # a read just after the server failed to answer: said at once (GUIs re-read
            # often); a write, which a person asked for, always tries
            raise ServerUnreachable(self.server, "no answer a moment ago")
        sig = _signature(method, path, json) if write else None
        key = (idempotency_key or self._key_for(sig)) if write else None
        start = time.monotonic()
        deadline = start + budget
        while True:
            left = deadline - time.monotonic()
            if self._http.is_closed:  # (a timer of a closing app may still ask)
                raise RemoteError(f"the connection to the hall server {self.server} is closed",
                                  f"与叫号服务器的连接已关闭 ({self.server})", code="closed_client")
            first = write and time.monotonic() - start < RETRY_PAUSE_S
            wait = min(left, budget * FIRST_TRY_SHARE) if first else left
            try:
                r = self._http.request(method, path, json=json, params=params, headers=self._headers(key),
                                       timeout=max(0.05, wait))
                self._down_until = 0.0
                break
            except httpx.TransportError as e:
                detail = type(e).__name__ if not str(e) else str(e)
                # a read is not retried: whoever reads (a timer) reads again soon anyway
                if not write or deadline - time.monotonic() <= RETRY_PAUSE_S * 2:
                    log.warning("%s %s: no answer from %s (%s)", method, path, self.server, detail)
                    self._down_until = time.monotonic() + DOWN_GRACE_S
                    if write and idempotency_key is None:
                        self._pending[sig] = (key, time.monotonic())
                    raise ServerUnreachable(self.server, _short(detail)) from None
                log.info("%s %s: %s; retrying (key %s)", method, path, detail, key)
                time.sleep(RETRY_PAUSE_S)
        if write:
            self._pending.pop(sig, None)
            self._hall_copy = None
        if r.status_code >= 400:
            raise refusal(r)
        return r

    def _key_for(self, sig: str) -> str:
        """The Idempotency-Key of a write: the one of the same request left unanswered a
        moment ago, else a new one."""
        now = time.monotonic()
        for old in [k for k, (_, at) in self._pending.items() if now - at > PENDING_KEY_S]:
            self._pending.pop(old, None)
        kept = self._pending.get(sig)
        return kept[0] if kept else uuid.uuid4().hex

    def _json(self, method: str, path: str, **kw):
        r = self.request(method, path, **kw)
        if r.status_code == 204 or not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            raise ServerProblem(f"the hall server at {self.server} sent an answer that is not JSON",
                                f"叫号服务器的回答无法识别 ({self.server})", r.status_code) from None

    def _ticket(self, method: str, path: str, **kw) -> Ticket:
        return self._read(wire.ticket, self._json(method, path, **kw))

    def _window(self, method: str, path: str, **kw) -> WindowState:
        return self._read(wire.window_state, self._json(method, path, **kw))

    def _read(self, parse, data):
        """A record from the server's JSON; an answer of another shape (a server of another
        version) is said in words, not as a traceback."""
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ServerProblem(f"the hall server at {self.server} sent an answer this client does not understand "
                                f"({type(e).__name__}: {e}); are both the same jiaohao version?",
                                f"叫号服务器的回答无法识别 ({self.server})") from None

    def start_heartbeat(self, app: str, window: int | None = None, every_s: float | None = None, progress=None):
        """Report to the server every ``[client] heartbeat_s`` as ``app`` (kiosk, screen,
        caller): `GET /clients` and `diag check` then list this PC (hall/heartbeat.py).
        The event stream is started too, so its state and progress can be reported."""
        from .heartbeat import Heartbeat
        if self.heartbeat is None:
            if self._token:  # (a caller PC before its staff log in has no stream yet)
                self._buffer()
            self.heartbeat = Heartbeat(self, app, window, every_s, progress).start()
        return self.heartbeat

    @property
    def clock_offset(self):
        """This PC's clock minus the server's as the heartbeats measured it, the fastest of
        the last round trips (:class:`hall.clock_offset.ClockOffset`), None before the first."""
        return self.heartbeat.offset if self.heartbeat is not None else None

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        with self._events_lock:
            if self._events is not None:
                self._events.stop()
                self._events = None
        self._http.close()

    # -- staff sessions (the software caller's 工号 + 密码) --------------------------------------
    def staff_login(self, staff: str, password: str, window: int | None = None) -> dict:
        """Log in a person; from now on this hall acts with their session token."""
        body = {"staff": staff, "password": password}
        if window is not None:
            body["window"] = window
        session = self._json("POST", "/login", json=body)
        self._token = session["token"]
        self.session = session
        self._restart_events()
        return session

    def staff_logout(self) -> None:
        """End the session (the server revokes its token)."""
        if self.session is None:
            return
        try:
            self.request("POST", "/logout")
        finally:
            self.session = None
            self._token = self._device_token
            self._restart_events()

    def _restart_events(self) -> None:
        """The stream runs with the credential in use: a new one starts it again."""
        with self._events_lock:
            old, self._events = self._events, None
        if old is not None:
            old.stop()

    # -- reads ---------------------------------------------------------------------------------
    def is_open(self, code: str, when: datetime | None = None) -> bool:
        try:
            svc = self._services[code]
        except KeyError:
            raise UnknownService(f"unknown service {code!r}", zh=f"没有业务 {code}") from None
        t = (when or self.clock()).time()
        return not svc.hours or any(a <= t < b for a, b in svc.periods())

    def ticket(self, ticket_id: int) -> Ticket:
        return self._ticket("GET", f"/tickets/by-id/{int(ticket_id)}")

    def ticket_by_number(self, number: str, day: str | None = None) -> Ticket:
        return self._ticket("GET", f"/tickets/{_path(number.upper())}", params={"day": day} if day else None)

    def window_state(self, window: int) -> WindowState:
        return self._window("GET", f"/windows/{int(window)}")

    def hall(self, max_age_s: float = 0.0) -> dict:
        """The snapshot as the server sends it (GET /hall); ``max_age_s``: one read this recent
        will do (no write from here since)."""
        copy = self._hall_copy
        if copy is not None and time.monotonic() - copy[0] <= max_age_s:
            return copy[1]
        d = self._json("GET", "/hall")
        self._hall_copy = (time.monotonic(), d)
        return d

    def window_states(self) -> list[WindowState]:
        return sorted(self._read(lambda d: [wire.window_state(w) for w in d["windows"]], self.hall()),
                      key=lambda w: w.number)

    def waiting_by_service(self) -> dict[str, int]:
        counts = {code: 0 for code in self._services}
        counts.update({s["code"]: s["waiting"] for s in self.hall(0.5)["services"]})
        return counts

    def issued_today(self, service: str) -> int:
        for s in self.hall(0.5)["services"]:
            if s["code"] == service:
                return s["issued_today"]
        raise UnknownService(f"unknown service {service!r}", zh=f"没有业务 {service}")

    def snapshot(self) -> HallSnapshot:
        """The kiosk's figures; never raises: when the server does not answer, the last
        figures marked ``ok=False`` (and no new request for a few seconds)."""
        try:
            wait = min(self.timeout_s, FIGURES_TIMEOUT_S)
            snap = self._read(wire.snapshot, self._json("GET", "/hall", timeout_s=wait))
            self._last_snapshot = snap
            return snap
        except HallError as e:
            log.warning("hall figures not read: %s", e)
        last = self._last_snapshot or HallSnapshot(
            self.clock(), {s.code: ServiceFigures(s.code, handling_minutes=s.expected_minutes)
                           for s in (self.config.services if self.config is not None else ())})
        return HallSnapshot(last.taken_at, last.services, ok=False)

    def appointment(self, code: str) -> AppointmentInfo | None:
        try:
            return self._read(wire.appointment, self._json("GET", f"/appointments/{_path(code.strip().upper())}"))
        except HallError as e:
            if not isinstance(e, UnknownTicket):
                log.warning("cannot read appointment %s: %s", code, e)
            return None

    def guide(self):
        """The hall's service guide (GET /guide): (digest, :class:`config.guide.Guide`)."""
        from config.guide import Guide
        d = self._json("GET", "/guide")
        return self._read(lambda d: (d["digest"], Guide.from_json(d["entries"], self.config)), d)

    def health(self) -> dict:
        """``GET /health`` (anonymous): the server's hall, version and last event id."""
        return self._json("GET", "/health")

    # -- the event log ---------------------------------------------------------------------------
    def _buffer(self):
        with self._events_lock:
            if self._events is None:
                from .remote_events import EventBuffer
                self._events = EventBuffer(self, stream=self._stream)
                self._events.start()
            return self._events

    def log_page(self, after: int, limit: int = 500) -> tuple[list[Event], int]:
        """``GET /events/log``: events after ``after`` (oldest first) and the server's last id."""
        # the server gives at most LOG_PAGE_MAX a page; a caller asking for more reads on from the last
        d = self._json("GET", "/events/log", params={"after": int(after), "limit": max(1, min(int(limit), LOG_PAGE_MAX))})
        return self._read(lambda d: ([wire.event(e) for e in d["events"]], d.get("last_id", 0)), d)

    def event_page(self, last_id: int, limit: int = 500) -> tuple[list[Event], list[int], int]:
        events = self._buffer().after(last_id, limit)
        return events, [], events[-1].id if events else last_id

    def events_after(self, last_id: int, limit: int = 500) -> list[Event]:
        return self._buffer().after(last_id, limit)

    def last_event_id(self) -> int:
        return self._buffer().last_id()

    def get_cursor(self, consumer: str) -> int | None:
        return self._cursors.get(consumer)  # consumers that keep cursors run on the controller

    def set_cursor(self, consumer: str, event_id: int) -> None:
        self._cursors[consumer] = event_id


def _signature(method: str, path: str, body: dict | None) -> str:
    """Names one request (the body as a digest: a login's password is not kept)."""
    text = _json_mod.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return f"{method} {path} {hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def _short(detail: str) -> str:
    return detail if len(detail) < 120 else detail[:117] + "…"


def fetch_config(server: str, token: str | None, timeout_s: float = 3.0) -> dict:
    """``GET /config``: ``{"hall_id", "name", "digest", "toml"}`` of the server's hall."""
    with httpx.Client(base_url=server.rstrip("/") + API, timeout=timeout_s) as c:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            r = c.get("/config", headers=headers)
        except httpx.TransportError as e:
            raise ServerUnreachable(server.rstrip("/"), _short(str(e) or type(e).__name__)) from None
    if r.status_code >= 400:
        raise refusal(r)
    try:
        d = r.json()
    except ValueError:
        d = None
    if not isinstance(d, dict) or not isinstance(d.get("toml"), str):
        # another program on that port (a proxy's log-in page, a printer's web page): a traceback before
        kind = r.headers.get("content-type", "").split(";")[0] or "no content type"
        raise ServerProblem(f"{server.rstrip('/')} is not a jiaohao hall server (its /api/v1/config answered "
                            f"{r.status_code}, {kind}); check the address and port",
                            f"该地址不是叫号服务器 ({server.rstrip('/')})", r.status_code)
    return d
