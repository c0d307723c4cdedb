"""The bus service: one worker thread per window bus keeps keypads, evaluators and window
screens in step with the queue.

Each cycle the worker polls its devices (:class:`drivers.windowbus.BusPoller`). A key
event becomes a queue operation (:func:`caller.keys.apply_key`); then the worker reads
the event log from its cursor (``EventFeed(queue, consumer="bus:NAME")``) and rewrites
the whole state block of every device whose window the new events touched: its own
keys, and tickets issued or called elsewhere (waiting counts follow the kiosks). The
state is always read back from the queue, never guessed. A device that comes back
from offline (or the whole port, re-opened) gets its full state before anything else.

A key is acknowledged (its sequence written back, the keypad beeps) only once its
queue operation ran, refused or not; a key the queue could not take (the database
failed) and a key latched while nobody heard it are not acknowledged, and the keypad
says 请重按 (press again). So every beep is exactly one operation.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from drivers.windowbus import BusPoller, DeviceSlot, PortDown, WindowBusProtocol, open_protocol
from drivers.windowbus.codec import BusEvent, DeviceKind, EventCode, KeypadState, ScreenState
from drivers.windowbus.simulator import BusSimulator
from hall import EventFeed, HallQueue

from .displays import evaluator_state, keypad_state, screen_state
from .keys import KeyOutcome, apply_key

log = logging.getLogger(__name__)

PROMPT_S = 60.0       # how long an evaluator asks for a rating after FINISH
NOTE_S = 8.0          # how long a key's note stays on the keypad's message line
PRESS_AGAIN = "未执行 请重按"  # a key nobody acted on: not acknowledged, staff press again
FLASH_S = 5           # seconds a window screen flashes a call
FEED_S = 0.15         # how often the event log is read
SAVE_S = 5.0          # how often the feed cursor is saved
SUMMARY_S = 300.0     # how often a line of bus figures goes to the log
MIN_CYCLE_S = 0.02    # do not spin faster than this on a tiny or simulated bus
# events that change waiting counts of every window serving the ticket's service
_QUEUE_KINDS = {"issued", "called", "skipped", "reactivated", "transferred", "cancelled", "expired",
                "checked_in", "day_closed"}


def slots_for_bus(config, bus: str) -> list[DeviceSlot]:
    """A slot for every device the config puts on ``bus``, keypads first, screens last."""
    slots = []
    for role in ("keypad", "evaluator", "screen"):
        for w in config.windows:
            ref = getattr(w, role)
            if ref is not None and ref.bus == bus:
                slots.append(DeviceSlot(ref.address, w.number, role))
    return slots


class BusService:
    """One bus and its worker thread (``start``/``stop``); the component ``jiaohao serve`` runs."""

    def __init__(self, queue: HallQueue, config, bus: str, protocol: WindowBusProtocol | None = None,
                 *, default_sim=None, consumer: str | None = None, offline_after: int = 3,
                 min_cycle_s: float = MIN_CYCLE_S):
        self.queue = queue
        self.config = config
        self.bus = bus
        self.name = f"bus:{bus}"
        bus_cfg = config.buses[bus]
        self.protocol = protocol or open_protocol(bus_cfg, bus, default_sim=default_sim)
        self.poller = BusPoller(self.protocol, slots_for_bus(config, bus), name=bus,
                                offline_after=offline_after, offline_retry_s=bus_cfg.offline_retry_s)
        self.poller.on_event = self._on_event
        self.poller.on_back = self._on_back
        self.poller.on_status = self._on_status
        self.windows = sorted({s.window for s in self.poller.slots})
        self.service_names = {s.code: s.name for s in config.services}
        self.consumer = consumer or f"bus:{bus}"
        self.min_cycle_s = min_cycle_s
        self.feed: EventFeed | None = None
        self.prompts: dict[int, tuple[str, float]] = {}   # window -> (ticket number, monotonic deadline)
        self.notes: dict[tuple[int, str], tuple[str, float]] = {}  # (window, role) -> (note, deadline)
        self.flash: set[int] = set()
        self.handled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_feed = 0.0
        self._last_save = 0.0
        self._last_summary = time.monotonic()
        self.error: str = ""

    # -- component -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            self._close()
            return
        thread.join(timeout=10)
        if thread.is_alive():  # mid-write on a slow bus: it closes the port itself when done
            log.warning("bus %s: worker still busy; it stops after this cycle", self.bus)

    def _close(self) -> None:
        if self.feed is not None:
            self.feed.save()
        self.protocol.close()

    def run(self) -> None:
        """The worker: poll, handle, follow the event log, until :meth:`stop`."""
        self.feed = EventFeed(self.queue, consumer=self.consumer)
        self.refresh(self.windows)
        log.info("bus %s: %d device(s) on %s", self.bus, len(self.poller.slots),
                 getattr(getattr(self.protocol, "master", None), "url", "?"))
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.step()
            except PortDown as e:
                self.poller.port_lost()  # also when the port went mid-write, outside the poll
                if self.error != str(e):
                    log.warning("%s", e)
                self.error = str(e)
                self._stop.wait(0.2)
                continue
            except Exception:  # noqa: BLE001 - the worker must outlive any one bad event
                log.exception("bus %s: cycle failed", self.bus)
                self._stop.wait(1.0)
                continue
            self.error = ""
            left = self.min_cycle_s - (time.monotonic() - started)
            if left > 0:
                self._stop.wait(left)
        self._close()  # the worker owns the port: it closes it

    def step(self) -> None:
        """One poll cycle, then the event log if it is due."""
        self.poller.cycle()
        now = time.monotonic()
        if now - self._last_feed >= FEED_S:
            self.follow_feed()
            self._expire(now)
        if now - self._last_summary >= SUMMARY_S:
            self._last_summary = now
            self.log_summary()

    def log_summary(self) -> None:
        s = self.poller.summary()
        st = s["stats"]
        offline = [sl.label for sl in self.poller.slots if sl.online is False]
        log.info("bus %s: %d/%d online, cycle %s ms (avg %s), %d keys handled, %d requests, %d time-outs, "
                 "%d bad CRC, %d wrong address, %d exceptions, %d port faults, %d lost events%s", self.bus,
                 s["online"], s["devices"], s["cycle_ms"], s["cycle_ms_avg"], self.handled, st.get("requests", 0),
                 st.get("timeouts", 0), st.get("bad_crc", 0), st.get("wrong_address", 0), st.get("exceptions", 0),
                 st.get("port_errors", 0) + st.get("open_failures", 0), s["lost_events"],
                 f"; offline: {', '.join(offline)}" if offline else "")

    # -- key events ------------------------------------------------------------------
    def _on_event(self, slot: DeviceSlot, ev: BusEvent) -> None:
        try:
            code = EventCode(ev.code)
        except ValueError:
            code = None
        role = slot.role
        if role == "screen":  # a keypad where the config says screen: its keys mean nothing here
            log.warning("bus %s: %s (a %s) sent event code %d; ignored", self.bus, slot.label,
                        slot.kind.name.lower() if slot.kind else "device", ev.code)
            return
        allowed = code is not None and (code is EventCode.RATE or slot.kind is None or slot.kind.takes_keys)
        if not allowed:
            log.warning("bus %s: %s sent unknown event code %d", self.bus, slot.label, ev.code)
            self._note(slot.window, role, "未知按键")
            slot.acked_seq = ev.seq  # refused: acknowledged with the reason on the message line
        else:
            try:
                outcome = apply_key(self.queue, slot.window, code, ev.arg)
            except Exception:  # noqa: BLE001 - e.g. the database locked too long: not done, not acknowledged
                log.exception("bus %s: window %d %s %s failed; not acknowledged", self.bus, slot.window, role,
                              code.name)
                outcome = KeyOutcome(False, "系统忙 请重按", "busy, press again", error="internal error")
            else:
                slot.acked_seq = ev.seq  # acted on (or refused by the queue, with a note): acknowledge it
                self.handled += 1
            log.info("bus %s: window %d %s %s(%d): %s", self.bus, slot.window, role, code.name, ev.arg,
                     "ok" if outcome.ok else outcome.error)
            self._note(slot.window, role, outcome.note)
            if code is EventCode.RATE and outcome.ok:
                self.prompts.pop(slot.window, None)
        # the acknowledged state goes out now, with whatever the log says happened
        self.follow_feed(extra={slot.window})

    def _on_back(self, slot: DeviceSlot) -> None:
        if slot.unheard and slot.role != "screen":
            slot.unheard = 0
            self._note(slot.window, slot.role, PRESS_AGAIN)
        self.refresh([slot.window], only=slot, force=True)

    def _on_status(self, slot: DeviceSlot, online: bool) -> None:
        try:
            self.queue.log_event("device_online" if online else "device_offline", slot.window,
                                 bus=self.bus, address=slot.unit, role=slot.role,
                                 device_kind=slot.kind.name.lower() if slot.kind else None)
        except Exception:  # noqa: BLE001 - logging must not stop the bus
            log.exception("logging a device status failed")

    def _note(self, window: int, role: str, note: str) -> None:
        key = (window, "evaluator" if role == "evaluator" else "keypad")
        if note:
            self.notes[key] = (note, time.monotonic() + NOTE_S)
        else:
            self.notes.pop(key, None)

    # -- the event log -----------------------------------------------------------------
    def follow_feed(self, extra: set[int] = frozenset()) -> None:
        """Read new events from the log and rewrite what they changed."""
        self._last_feed = time.monotonic()
        events = self.feed.poll() if self.feed else []
        touched = set(extra)
        now_hall = self.queue.clock().timestamp()
        for ev in events:
            touched |= self._touches(ev)
            fresh = now_hall - ev.at < PROMPT_S
            if ev.window in self.windows:
                if ev.kind in ("called", "recalled") and fresh:
                    self.flash.add(ev.window)
                elif ev.kind == "finished" and ev.data.get("evaluate") and fresh and ev.number:
                    self.prompts[ev.window] = (ev.number, time.monotonic() + PROMPT_S)
                elif ev.kind == "rated" or ev.kind == "logout":
                    self.prompts.pop(ev.window, None)
        if touched:
            self.refresh(sorted(touched))
        if events and time.monotonic() - self._last_save >= SAVE_S and self.feed:
            self.feed.save()
            self._last_save = time.monotonic()

    def _touches(self, ev) -> set[int]:
        if ev.kind == "day_closed":
            return set(self.windows)
        out = {ev.window} if ev.window in self.windows else set()
        if ev.kind in _QUEUE_KINDS and ev.service:
            out |= {w.number for w in self.config.windows if w.number in self.windows
                    and (ev.service in w.services)}
        to_window = ev.data.get("to_window") if isinstance(ev.data, dict) else None
        if to_window in self.windows:
            out.add(to_window)
        return out

    def _expire(self, now: float) -> None:
        stale = {w for w, (_, until) in self.prompts.items() if until <= now}
        for w in stale:
            del self.prompts[w]
        old = [k for k, (_, until) in self.notes.items() if until <= now]
        for k in old:
            del self.notes[k]
        touched = stale | {w for w, _ in old}
        if touched:
            self.refresh(sorted(touched))

    # -- state blocks ------------------------------------------------------------------
    def refresh(self, windows, only: DeviceSlot | None = None, force: bool = False) -> None:
        """Compute and write the blocks of ``windows``' devices (only ``only`` if given)."""
        for number in windows:
            if number not in self.windows:
                continue
            ws = self.queue.window_state(number)
            prompt = self.prompts.get(number, ("", 0))[0]
            flash = number in self.flash
            self.flash.discard(number)
            for slot in self.poller.slots:
                if slot.window != number or (only is not None and slot is not only):
                    continue
                if slot.role == "screen":
                    state = screen_state(ws, self.service_names, FLASH_S if flash else 0)
                    if not flash and not force and isinstance(slot.desired, ScreenState) \
                            and replace(slot.desired, flash_s=0) == state:
                        continue  # same text: do not cut a flash short
                    self.poller.set_state(slot, state, force=force or flash)
                    continue
                note = self.notes.get((number, "evaluator" if slot.role == "evaluator" else "keypad"),
                                      ("", 0))[0]
                ack = slot.acked_seq or 0  # None: never heard, so nothing is written yet
                if slot.role == "evaluator":
                    state = evaluator_state(ws, ack, prompt, note)
                else:
                    with_prompt = slot.kind is DeviceKind.KEYPAD_EVALUATOR and bool(prompt)
                    state = keypad_state(ws, ack, note, with_prompt)
                # only the waiting count changed: written in the background, keys first
                urgent = force or not isinstance(slot.desired, KeypadState) or \
                    replace(slot.desired, waiting=0) != replace(state, waiting=0)
                self.poller.set_state(slot, state, force=force, urgent=urgent)

    def status(self) -> dict:
        out = self.poller.summary()
        out["handled"] = self.handled
        out["error"] = self.error
        out["devices_detail"] = [s.to_json() for s in self.poller.slots]
        return out


def components(ctx) -> list:
    """A :class:`BusService` for every configured bus; ``sim://`` buses get a simulator
    holding a device for every configured address."""
    cfg = ctx.config
    out = []
    for name in cfg.buses:
        out.append(BusService(ctx.queue, cfg, name,
                              default_sim=lambda name=name: BusSimulator.for_config(cfg, name)))
    return out
