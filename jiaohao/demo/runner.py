"""`DemoHall`: one simulated day of a whole hall, on the parts `jiaohao serve` runs.

Order of start: simulators registered under their ``sim://`` names
(:mod:`.devices`), then the hall's components from the same factories as
``jiaohao serve`` (window bus master, voice announcer, LED boards), then the
simulated people: citizens taking tickets through the kiosk's ``TicketIssuer`` onto
the printer simulator, and clerks pressing keys on the simulated keypads. Time is a
:class:`hall.ScaledClock` from 08:30 today, sped up ``speed`` times.
"""
from __future__ import annotations

import logging
import random
import shutil
import tempfile
import threading
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from config import HallConfig
from drivers.transport import get_sim, sim_name
from hall import HallError, HallQueue, ScaledClock, business_day
from jiaohao.context import Context

from . import DemoError
from .arrivals import ArrivalModel, Citizen, DayPlan
from .devices import DemoDevices, optional
from .figures import Figures, Status, Summary
from .staff import KeypadDesk, QueueDesk, WindowStaff

log = logging.getLogger(__name__)

DEMO_MANAGER = "demo"  # the staff number of the demo's manager login (/manage)

DAY_START = (8, 30)
WIRE_TIME_MAX_SPEED = 10.0  # above this speed the bus simulator answers without the wire's delays


@dataclass
class DemoOptions:
    speed: float = 10.0
    minutes: float | None = None      # simulated minutes to run; None: the whole day
    out_dir: Path | None = None       # tickets/ and voice/ go here; None: a new temporary folder
    db_path: Path | None = None       # None: a temporary database, removed at the end
    seed: int | None = None
    start: datetime | None = None     # None: 08:30 today
    sound_card: bool = False          # voice to the sound card instead of WAV files
    bookings: int = 12
    listen: str | None = None         # serve the hall API here (HOST:PORT, port 0: any free); None: not served


def has_sound_card() -> bool:
    """Whether the voice can be heard here: somewhere to play sound (an ALSA card, a
    PulseAudio or PipeWire server) and a WAV player. Never fails: without either the
    demo writes WAV files and shows the sentences."""
    audio = optional("drivers.tts.audio")
    if audio is not None:
        try:
            return bool(audio.sound_output_present() and audio.find_player())
        except Exception:  # noqa: BLE001 - a strange host: no sound, the demo goes on
            log.info("sound output detection failed", exc_info=True)
            return False
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        return False
    return bool(cards.strip()) and "no soundcards" not in cards and shutil.which("aplay") is not None


def _device_urls(config: HallConfig) -> list[tuple[str, str]]:
    out = [(f"bus {n}", b.url) for n, b in config.buses.items()]
    out.append(("printer", config.printer.url))
    out += [(f"LED board {b.name or i}", b.url) for i, b in enumerate(config.boards, 1)]
    if config.voice.engine in ("syn6288", "xfs5152", "syn6658") and config.voice.url:
        out.append(("voice module", config.voice.url))
    return out


class DayClock:
    """The demo's clock: 08:30 (``start``) until :meth:`begin`, then a :class:`hall.ScaledClock`
    from there, so the seconds spent starting the devices are not minutes of the day."""

    def __init__(self, start: datetime, speed: float):
        self.start = start
        self.speed = speed
        self._scaled: ScaledClock | None = None

    def begin(self) -> None:
        self._scaled = ScaledClock(self.start, self.speed)

    def __call__(self) -> datetime:
        return self._scaled() if self._scaled is not None else self.start


class DemoContext(Context):
    """The command context with the demo's config, database and sped-up clock."""

    def __init__(self, config_path, db_path: Path, config: HallConfig, clock):
        super().__init__(str(config_path), str(db_path))
        self.__dict__["config"] = config  # the cached_property of Context, pre-filled
        self._clock = clock

    def clock(self):
        return self._clock


def demo_config(config: HallConfig, voice_dir: Path | None, speed: float) -> HallConfig:
    """The hall config as the demo runs it: voice to WAV files (or the sound card), spoken
    calls kept as long in real seconds as the config says, whatever the speed."""
    voice = config.voice
    update: dict = {"max_age_s": voice.max_age_s * max(1.0, speed)}
    if voice_dir is not None and voice.engine in ("espeak", "clips"):
        update["output"] = str(voice_dir)
    if voice.engine == "espeak" and shutil.which("espeak-ng") is None and shutil.which("espeak") is None:
        update["engine"] = "clips"
    return config.model_copy(update={"voice": voice.model_copy(update=update)})


class DemoHall:
    """A simulated day: start(), then step() on a timer (or run() until done), then stop()."""

    def __init__(self, config: HallConfig, config_path, options: DemoOptions):
        self.options = options
        self.rng = random.Random(options.seed)
        start = options.start or datetime.now().replace(hour=DAY_START[0], minute=DAY_START[1],
                                                        second=0, microsecond=0)
        self.start_at = start
        self.clock = DayClock(start, options.speed)
        self._tmp_db: Path | None = None
        if options.db_path is None:
            self._tmp_db = Path(tempfile.mkdtemp(prefix="jiaohao-demo-db-"))
            db_path = self._tmp_db / "hall.sqlite"
        else:
            db_path = options.db_path
        out = options.out_dir or Path(tempfile.mkdtemp(prefix="jiaohao-demo-"))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DemoError(f"cannot create the output folder {out}: {e}") from e
        self.out_dir = out
        voice_dir = None if options.sound_card else out / "voice"
        if voice_dir is not None:
            voice_dir.mkdir(parents=True, exist_ok=True)
        self.config = demo_config(config, voice_dir, options.speed)
        self.ctx = DemoContext(config_path, db_path, self.config, self.clock)
        # The bus runs in real time; on a sped-up clock its wire time (about a second a
        # poll cycle for 36 devices at 9600 baud) would be minutes of the hall's day.
        self.devices = DemoDevices(self.config, out, bus_wire_time=options.speed <= WIRE_TIME_MAX_SPEED)
        self.notes: list[str] = []
        self.parts: list = []
        self.staff: list[WindowStaff] = []
        self.issuer = None
        self.plan = DayPlan()
        self.citizens: dict[str, Citizen] = {}
        self._next = 0
        self.not_printed = 0
        self.figures: Figures | None = None
        self.end_at = self._end_time()
        self._lock = threading.Lock()
        self.bus_master_running = False
        self.api_url: str | None = None
        self.manager_login: tuple[str, str] | None = None  # the demo's manager (/manage), made at start
        self.finished = False

    # -- set-up ------------------------------------------------------------------
    @property
    def queue(self) -> HallQueue:
        return self.ctx.queue

    def _end_time(self) -> datetime:
        if self.options.minutes is not None:
            return self.start_at + timedelta(minutes=self.options.minutes)
        closing = max((end for s in self.config.services for _, end in s.periods()), default=None)
        if closing is None:
            return self.start_at + timedelta(hours=9)
        return datetime.combine(self.start_at.date(), closing)

    def start(self) -> None:
        self.devices.start()
        self.notes.extend(self.devices.notes)
        real = [f"{label} {url}" for label, url in _device_urls(self.config) if sim_name(url) is None]
        if real:
            self.notes.append("用的是这个大厅的真实设备，不是模拟器 (real devices of this hall are used, not "
                              "simulators): " + ", ".join(real))
        queue = self.queue  # creates the database
        self.figures = Figures(queue.path)
        self._start_issuer()
        self._start_components()
        self._wait_for_buses()
        self._start_people()
        self.clock.begin()
        log.info("demo: %s, %d windows, speed x%g, out %s", self.config.hall.name, len(self.config.windows),
                 self.options.speed, self.out_dir)

    def _start_issuer(self) -> None:
        printing = optional("kiosk.printing")
        if printing is None:
            self.notes.append("取号打印：这个版本没有，直接在队列上出票 (kiosk printing: not in this build; tickets are issued "
                              "straight on the queue)")
            return
        try:
            self.issuer = printing.TicketIssuer(self.queue, self.config)
        except Exception as e:  # noqa: BLE001 - the demo goes on without printing
            log.exception("ticket printer")
            self.notes.append(f"取号打印机没能启动，出票不打印 (ticket printer could not start ({e}); tickets are issued without "
                              "printing)")

    def _start_components(self) -> None:
        from jiaohao.commands.serve_cmd import COMPONENT_FACTORIES, build_components
        self.ctx.listen = self.options.listen  # the hall API's component serves only when told where
        try:
            parts = build_components(self.ctx)
        except Exception as e:  # noqa: BLE001
            log.exception("building components")
            self.notes.append(f"大厅部件没能建立 (hall components could not be built): {e}")
            parts = []
        present = {p.split(":")[0] for p in COMPONENT_FACTORIES if optional(p.split(":")[0]) is not None}
        labels = {"caller.service": "窗口总线主站 (window bus master, caller.service)",
                  "display.announcer": "语音播报 (voice announcer, display.announcer)",
                  "display.boards": "大厅条屏 (LED hall boards, display.boards)"}
        for entry in COMPONENT_FACTORIES:
            module = entry.split(":")[0]
            if module not in present:
                self.notes.append(f"{labels.get(module, module)}: 这个版本没有 (not in this build)")
        for part in parts:
            try:
                part.start()
                self.parts.append(part)
            except Exception as e:  # noqa: BLE001 - one broken part must not stop the demo
                log.exception("starting %s", getattr(part, "name", part))
                self.notes.append(f"{getattr(part, 'name', part)}: 没能启动 (could not start) ({e})")
        self.bus_master_running = any(type(p).__module__.startswith("caller.") for p in self.parts)
        self.api_url = next((p.url for p in self.parts
                             if type(p).__module__.startswith("server.") and hasattr(p, "url")), None)
        self.manager_login = self._demo_manager() if self.api_url else None
        if self.options.listen and self.api_url is None and not any(n.startswith("hall API") for n in self.notes):
            self.notes.append("大厅接口：这个版本没有，演示不提供网页 (hall API: not in this build (no server.runner), so the demo "
                              "serves no web parts)")

    def _demo_manager(self) -> tuple[str, str] | None:
        """A manager's login for the demo's pages (/manage): on the demo's own temporary
        database only, with a password made for this run (a hall's database gets its
        accounts from `jiaohao staff add`)."""
        if self._tmp_db is None:
            return None
        import secrets

        from hall.access import Access
        password = "demo-" + secrets.token_hex(4)
        access = Access(self.queue)
        try:
            access.add_staff(DEMO_MANAGER, "演示经理", "manager", password)
        except HallError as e:
            self.notes.append(f"演示用的管理员账号没有建立 (demo manager login not made): {e}")
            return None
        finally:
            access.close()
        return DEMO_MANAGER, password

    def pages(self) -> list[tuple[str, str, str]]:
        """(Chinese, English, URL) of the web pages the demo serves."""
        if not self.api_url:
            return []
        return [("综合管理", "managers' pages", f"{self.api_url}/manage"),
                ("大厅排队（手机）", "hall queue (phone)", f"{self.api_url}/hall"),
                ("办事指南（手机）", "service guide (phone)", f"{self.api_url}/guide"),
                ("预约（手机）", "booking (phone)", f"{self.api_url}/book"),
                ("接口文档", "API documentation", f"{self.api_url}/api/v1/docs")]

    def _wait_for_buses(self, timeout_s: float = 15.0) -> None:
        """Let each bus master hear every keypad once before the clerks press keys: a key
        latched before its keypad was first heard is never acted on (it was pressed while
        no controller listened), so the demo's first LOGINs would only earn 请重按."""
        pollers = [p.poller for p in self.parts if hasattr(p, "poller")]
        deadline = _time.monotonic() + timeout_s
        while _time.monotonic() < deadline and any(s.online is None for p in pollers for s in p.slots):
            _time.sleep(0.05)

    def _desk_for(self, window) -> object:
        bus_sim = None
        if window.keypad is not None and window.keypad.bus in self.devices.bus_sims and self.bus_master_running:
            bus_sim = get_sim(sim_name(self.config.buses[window.keypad.bus].url))  # what sim://NAME opens
        if bus_sim is not None:
            evaluator = window.evaluator.address if window.evaluator is not None and \
                window.evaluator.bus == window.keypad.bus else None
            return KeypadDesk(bus_sim, window.keypad.address, evaluator)
        return QueueDesk(self.queue, window.number)

    def _start_people(self) -> None:
        model = ArrivalModel(self.config, self.rng)
        day_end = datetime.combine(self.start_at.date(), self._end_time().time()) \
            if self.options.minutes is None else self.end_at
        day_end = max(day_end, self.start_at + timedelta(minutes=1))
        hours = (day_end - self.start_at).total_seconds() / 3600
        bookings = max(1, round(self.options.bookings * min(1.0, hours / 9)))
        self.plan = model.plan_day(self.start_at, day_end, bookings)
        for b in self.plan.bookings:
            self.queue.add_appointment(b.code, b.service, b.slot, b.name)
        minutes = {s.code: s.expected_minutes for s in self.config.services}
        numbers = [w.number for w in self.config.windows]
        desks = set()
        for i, w in enumerate(self.config.windows):
            desk = self._desk_for(w)
            desks.add(desk.kind)
            others = [n for n in numbers if n != w.number and set(self.config.window(n).services) - set(w.services)]
            clerk = WindowStaff(w.number, desk, self.queue, random.Random(self.rng.random()), self.citizens,
                                minutes, others, staff_id=1000 + w.number)
            self.staff.append(clerk)
            clerk.start()
        if "queue" in desks and self.devices.bus_sims:
            self.notes.append("有些窗口没有模拟呼叫器，它们的工作人员直接操作队列 (some windows have no simulated keypad; their "
                              "staff act on the queue directly)")

    # -- running -----------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock()

    def step(self) -> None:
        """Advance the simulated people to the clock's current time."""
        with self._lock:
            now = self.clock()
            while self._next < len(self.plan.citizens) and self.plan.citizens[self._next].at <= now:
                self._arrive(self.plan.citizens[self._next])
                self._next += 1
            for clerk in self.staff:
                try:
                    clerk.tick(now)
                except HallError as e:
                    log.debug("window %d: %s", clerk.window, e)

    def _arrive(self, citizen: Citizen) -> None:
        target = self.issuer or self.queue
        try:
            if citizen.kind == "appointment":
                ticket = target.check_in(citizen.appointment, kiosk="kiosk1")
            else:
                ticket = target.issue(citizen.service, priority=citizen.kind == "priority", kiosk="kiosk1")
        except HallError as e:  # closed or over the cap: the kiosk says so and the citizen leaves
            log.debug("citizen for %s turned away: %s", citizen.service, e)
            return
        except Exception as e:  # noqa: BLE001 - TicketNotPrinted and friends
            if type(e).__name__ in ("PrinterUnavailable", "PrintFailed", "TicketNotPrinted"):
                self.not_printed += 1
                log.info("ticket not printed: %s", e)
                return
            raise
        citizen.ticket = ticket.number
        self.citizens[ticket.number] = citizen

    def day_over(self) -> bool:
        """True at --minutes, or once the hall has closed and every waiting citizen was served."""
        now = self.clock()
        if self.options.minutes is not None:
            return now >= self.end_at
        if now < self.end_at:
            return False
        if now >= self.end_at + timedelta(hours=2):
            return True
        states = self.queue.window_states()
        return sum(self.queue.waiting_by_service().values()) == 0 and all(s.state != "serving" for s in states)

    def status(self) -> Status:
        now = self.clock()
        return self.figures.status(business_day(now), now.strftime("%H:%M"))

    def run(self, stop: threading.Event, on_status=None, status_every_s: float = 1.0,
            tick_s: float = 0.1) -> None:
        """Step until the day is over or ``stop`` is set; ``on_status(Status)`` now and then."""
        last = 0.0
        while not stop.is_set():
            self.step()
            if on_status is not None and _time.monotonic() - last >= status_every_s:
                last = _time.monotonic()
                on_status(self.status())
            if self.day_over():
                break
            stop.wait(tick_s)
        if on_status is not None:
            on_status(self.status())

    def summary(self) -> Summary:
        s = self.figures.summary(business_day(self.start_at))
        s.not_printed += self.not_printed
        return s

    def outputs(self) -> dict:
        """Where the demo's files went, and how many there are."""
        tickets = sorted(self.devices.tickets_dir.glob("*.png")) if self.devices.tickets_dir.exists() else []
        voice = sorted(self.devices.voice_dir.glob("*.wav")) if self.devices.voice_dir.exists() else []
        boards = [" / ".join(line for line in getattr(sim, "lines", []) if line)
                  for sim in self.devices.board_sims]
        return {"out_dir": str(self.out_dir), "tickets_dir": str(self.devices.tickets_dir),
                "ticket_pngs": len(tickets), "voice_wavs": len(voice),
                "voice_dir": "the sound card" if self.options.sound_card else str(self.devices.voice_dir),
                "led_boards": boards, "database": None if self._tmp_db else str(self.options.db_path),
                "api": f"{self.api_url}/api/v1" if self.api_url else None}

    def stop(self) -> None:
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception:  # noqa: BLE001
                log.exception("stopping %s", getattr(part, "name", part))
        self.parts.clear()
        self.devices.stop()

    def close(self) -> None:
        """Release the database (and remove it when it was temporary)."""
        if self.figures is not None:
            self.figures.close()
        if "queue" in self.ctx.__dict__:
            self.ctx.queue.close()
        if self._tmp_db is not None:
            shutil.rmtree(self._tmp_db, ignore_errors=True)
