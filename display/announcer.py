"""The voice announcer: says every call and recall from the queue's event log, one at a
time, in order.

It tails ``called``/``recalled`` events with ``EventFeed(queue, consumer="announcer")``
into a backlog and speaks the backlog in order, each call ``repeat`` times after a
chime. Rules for a busy hall:

- a call older than ``voice.max_age_s`` when its turn comes is not spoken (it is on the
  screens already; 0 means no limit);
- a RECALL of a ticket already waiting in the backlog (or being announced right now)
  is not queued twice; a new CALL of a waiting ticket at another window updates the
  window instead;
- a waiting call whose ticket is finished, skipped, transferred or cancelled before its
  turn is dropped (the window has moved on), and a day's close empties the backlog.

It survives engine failures: the error is logged, the engine is closed and reopened
after a pause (1, 2, 5, 10, 30 s), a call is tried ``max_attempts`` times and then
given up, and the next one goes on. An engine that fails and recovers leaves a
``voice_offline``/``voice_online`` notice in the event log for technicians.

After a restart it resumes from its saved cursor: the cursor only passes an event once
its announcement has been spoken or dropped, or its frame was taken by a TTS module
(which says it whatever becomes of this process), so nothing is said twice and a call
that was still waiting is said if it is not too old by then. A stop while a frame's
acknowledgement is still on the wire waits for it (at most the engine's ``ack_timeout``,
drivers/tts/serial_engine.py), so the cursor moves with it. Only a SIGKILL or a power cut
in that window (the module took the frame; this process had not read its 0x41 yet,
milliseconds) can make a restart say that one call again: the module acts when the frame
arrives, outside any transaction of ours, so no write of the cursor can be atomic with it.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass

from drivers.tts import SpeechEngine, open_engine
from drivers.tts.reading import call_text
from hall import EventFeed

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
DROP_KINDS = {"finished": "finished", "skipped": "skipped", "transferred": "transferred",
              "cancelled": "cancelled"}


@dataclass
class PendingCall:
    """One announcement waiting in the backlog."""

    event_id: int
    at: float          # when the call was made (hall clock, epoch seconds)
    number: str
    window: int
    kind: str          # "called" or "recalled"
    ticket_id: int | None
    service_name: str = ""
    attempts: int = 0

    def same_ticket(self, ticket_id: int | None, number: str | None) -> bool:
        if ticket_id is not None and self.ticket_id is not None:
            return ticket_id == self.ticket_id
        return number == self.number


class Announcer:
    """Speaks calls from ``queue``'s event log through ``engine`` (default: the one
    ``voice_cfg`` describes, opened on first use). ``.start()``/``.stop()`` run it on its
    own threads; :meth:`poll_once` and :meth:`speak_next` drive it step by step."""

    def __init__(self, queue, voice_cfg, engine: SpeechEngine | None = None, consumer: str | None = "announcer",
                 clock=None, poll_s: float = 0.15, retry_delays: tuple[float, ...] = RETRY_DELAYS_S,
                 max_attempts: int = 3):
        self.queue = queue
        self.voice = voice_cfg
        self.engine = engine
        self.clock = clock or queue.clock
        self.poll_s = poll_s
        self.retry_delays = retry_delays
        self.max_attempts = max_attempts
        self.name = f"announcer ({voice_cfg.engine})"
        self.feed = EventFeed(queue, consumer=consumer)
        self.backlog: deque[PendingCall] = deque()
        self.spoken: deque[PendingCall] = deque(maxlen=200)  # what was said, newest last
        self.too_old = 0
        self.deduplicated = 0
        self.dropped = 0
        self.failures = 0
        self.given_up = 0
        self._current: PendingCall | None = None
        self._current_taken = False  # the TTS module has taken its frame: the cursor is past it
        self._failing = False
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._saved: int | None = None

    # -- taking events ---------------------------------------------------------------
    def poll_once(self) -> int:
        """Read new events into the backlog; the number of events read."""
        events = self.feed.poll()
        with self._lock:
            for ev in events:
                self._take(ev)
            self._save_cursor()
            if events:
                self._lock.notify_all()
        return len(events)

    def _find(self, ticket_id, number) -> PendingCall | None:
        for p in self.backlog:
            if p.same_ticket(ticket_id, number):
                return p
        return None

    def _take(self, ev) -> None:
        if ev.kind in ("called", "recalled") and ev.number and ev.window is not None:
            waiting = self._find(ev.ticket_id, ev.number)
            if waiting is not None:
                self.deduplicated += 1
                if ev.kind == "called" and waiting.window != ev.window:
                    log.info("%s is called again at window %s before its announcement; window updated",
                             ev.number, ev.window)
                    waiting.window = ev.window
                else:
                    log.info("%s %s while its call is still waiting: not queued twice", ev.number, ev.kind)
                return
            current = self._current
            if (ev.kind == "recalled" and current is not None and current.same_ticket(ev.ticket_id, ev.number)
                    and current.window == ev.window):
                self.deduplicated += 1
                log.info("%s recalled while it is being announced: not queued again", ev.number)
                return
            self.backlog.append(PendingCall(ev.id, ev.at, ev.number, ev.window, ev.kind, ev.ticket_id,
                                            ev.data.get("service_name", "")))
        elif ev.kind in DROP_KINDS and (ev.ticket_id is not None or ev.number):
            waiting = self._find(ev.ticket_id, ev.number)
            if waiting is not None and waiting is not self._current:
                self.backlog.remove(waiting)
                self.dropped += 1
                log.info("%s was %s before it was announced: not spoken", ev.number, DROP_KINDS[ev.kind])
        elif ev.kind == "day_closed":
            keep = [p for p in self.backlog if p is self._current]
            self.dropped += len(self.backlog) - len(keep)
            self.backlog = deque(keep)

    def _save_cursor(self) -> None:
        """Persist the last event id whose announcement is done (spoken or dropped), or
        taken by the TTS module (see :meth:`_pass_when_taken`)."""
        passing = self._current if self._current_taken else None
        waiting = [c for c in self.backlog if c is not passing] if passing is not None else self.backlog
        cursor = (waiting[0].event_id - 1) if waiting else self.feed.last_id
        if cursor != self._saved:
            self.feed.save(cursor)
            self._saved = cursor

    # -- speaking ----------------------------------------------------------------------
    def _engine(self) -> SpeechEngine:
        if self.engine is None:
            self.engine = open_engine(self.voice)
            log.info("voice engine: %s", self.engine.name)
        return self.engine

    @property
    def speaking(self) -> PendingCall | None:
        """The call being announced right now (None between announcements)."""
        with self._lock:
            return self._current

    def text_for(self, call: PendingCall, style: str = "text") -> str:
        try:
            window_name = self.queue.config.window(call.window).name
        except KeyError:
            window_name = ""
        return call_text(self.voice, call.number, call.window, style=style, service=call.service_name,
                         window_name=window_name or f"{call.window}号窗口")

    def speak_next(self) -> str | None:
        """Announce the head of the backlog. Returns "spoken", "too_old", "failed",
        "given_up", or None when the backlog is empty."""
        with self._lock:
            if not self.backlog:
                return None
            call = self.backlog[0]
            max_age = self.voice.max_age_s
            age = self.clock().timestamp() - call.at
            if max_age and age > max_age:
                self.backlog.popleft()
                self.too_old += 1
                self._save_cursor()
                log.info("%s at window %s was called %.0f s ago (more than %.0f s): shown, not spoken",
                         call.number, call.window, age, max_age)
                return "too_old"
            self._current, self._current_taken = call, False
        engine = None
        try:
            engine = self._engine()
            text = self.text_for(call, engine.text_style)
            log.info("announcing %s → window %s: %s", call.number, call.window, text)
            self._pass_when_taken(engine, call)
            engine.announce(text, repeat=self.voice.repeat, chime=self.voice.chime)
        except Exception as e:  # noqa: BLE001 - any engine failure: log, retry later, go on
            return self._failed(call, e)
        finally:
            if engine is not None and hasattr(engine, "on_frame_taken"):
                engine.on_frame_taken = None
        with self._lock:  # said: off the backlog and past the cursor in one step
            self._current, self._current_taken = None, False
            if self.backlog and self.backlog[0] is call:
                self.backlog.popleft()
            self.spoken.append(call)
            self._save_cursor()
        if self._failing:
            self._failing = False
            log.warning("voice engine %s works again", self.engine.name if self.engine else "")
            self._notice("voice_online", engine=self.voice.engine)
        return "spoken"

    def _pass_when_taken(self, engine: SpeechEngine, call: PendingCall) -> None:
        """With a TTS module: save the cursor past ``call`` as soon as the module has taken
        its first text frame (after the chime's). A module says a frame it got even if
        `serve` dies at once, so a restart then does not say it again; killed before
        that, the restart says it. (Other engines stop with the process: the cursor
        passes the call once it has been said.)"""
        if not hasattr(engine, "on_frame_taken"):
            return
        frames = [0]
        first_text = 2 if self.voice.chime else 1

        def taken() -> None:
            frames[0] += 1
            if frames[0] == first_text:
                with self._lock:
                    self._current_taken = True
                    self._save_cursor()
        engine.on_frame_taken = taken

    def _failed(self, call: PendingCall, error: Exception) -> str:
        with self._lock:
            taken = self._current_taken
            self._current, self._current_taken = None, False
            if taken and self._stop.is_set():  # stopping while the module says it: said, not again
                if self.backlog and self.backlog[0] is call:
                    self.backlog.popleft()
                self.spoken.append(call)
                self._save_cursor()
                return "failed"
            self._save_cursor()  # not said: the cursor goes back before it, so a restart says it
        if self._stop.is_set():  # stopped in the middle: it stays in the backlog for next time
            return "failed"
        self.failures += 1
        call.attempts += 1
        # the first failure of an outage is a warning; the retries during it are quieter
        (log.info if self._failing else log.warning)(
            "voice engine failed announcing %s (attempt %d of %d): %s", call.number, call.attempts,
            self.max_attempts, error)
        if self.engine is not None:
            try:
                self.engine.close()  # reopened on the next try
            except Exception:  # noqa: BLE001
                log.debug("closing the failed engine failed too", exc_info=True)
        if not self._failing:
            self._failing = True
            self._notice("voice_offline", engine=self.voice.engine, error=str(error)[:200])
        if call.attempts >= self.max_attempts:
            with self._lock:
                if self.backlog and self.backlog[0] is call:
                    self.backlog.popleft()
                self.given_up += 1
                self._save_cursor()
            log.warning("giving up announcing %s at window %s after %d attempts", call.number, call.window,
                        call.attempts)
            return "given_up"
        return "failed"

    def _notice(self, kind: str, **data) -> None:
        try:
            self.queue.log_event(kind, **data)
        except Exception:  # noqa: BLE001 - a notice must never stop the announcer
            log.debug("could not log %s", kind, exc_info=True)

    # -- threads ------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self._threads = [threading.Thread(target=self._poll_loop, name="announcer-poll", daemon=True),
                         threading.Thread(target=self._speak_loop, name="announcer-speak", daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self.engine is not None:
            try:
                self.engine.close()  # cuts a long announcement short
            except Exception:  # noqa: BLE001
                log.debug("closing the engine failed", exc_info=True)
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        with self._lock:
            self._save_cursor()

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - a locked or busy database: try again next tick
                log.exception("announcer: reading the event log failed")
            self._stop.wait(self.poll_s)

    def _speak_loop(self) -> None:
        failures_in_row = 0
        while not self._stop.is_set():
            with self._lock:
                self._lock.wait_for(lambda: self.backlog or self._stop.is_set(), timeout=0.5)
            if self._stop.is_set():
                break
            result = self.speak_next()
            if result in ("failed", "given_up"):
                delay = self.retry_delays[min(failures_in_row, len(self.retry_delays) - 1)]
                failures_in_row += 1
                self._stop.wait(delay)
            elif result == "spoken":
                failures_in_row = 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything in the event log so far has been announced (tests, demo)."""
        import time
        deadline = time.monotonic() + timeout
        target = self.queue.last_event_id()
        while time.monotonic() < deadline:
            with self._lock:
                if self.feed.last_id >= target and not self.backlog and self._current is None:
                    return True
            time.sleep(0.05)
        return False


def components(ctx) -> list:
    """For ``jiaohao serve``: the announcer, unless the hall has no voice."""
    voice = ctx.config.voice
    if voice.engine == "none":
        return []
    return [Announcer(ctx.queue, voice)]
