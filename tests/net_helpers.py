"""The networked hall for the end-to-end tests: `jiaohao serve` as a real process on
127.0.0.1, its devices simulated byte for byte in the test process, tokens made with the
real commands.

- :class:`HallDevices`: the window bus (a keypad, evaluator and window screen per window),
  a SYN6288 voice module and the Onbon LED hall board, each a simulator on its own pty.
  The test process holds the device ends; `serve` opens the host ends by path, as it
  would open /dev/ttyUSB0, and speaks the real protocols to them.
- :func:`write_hall`: the demo hall with those ports, a ``[server]`` listening on a free
  loopback port, short keep-alives.
- :class:`ServeProcess`: starts `jiaohao serve`, waits until ``/api/v1/health`` answers,
  kills it (SIGKILL) and starts it again on the same port and database; always stopped
  by the fixture that made it.
- :func:`add_device`, :func:`add_staff`: `jiaohao devices add … --json`, `jiaohao staff
  add … --password-stdin`.
- :class:`EventStreamReader` (tests/sse_reader.py, re-exported): a plain SSE reader of
  ``/api/v1/events`` on a thread that reconnects with ``Last-Event-ID``.

The hall clock is frozen (``JIAOHAO_NOW``) on Monday 2026-11-23 09:00, inside every demo
service's hours.
"""
from __future__ import annotations

import pytest

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from config import DEMO_HALL, load_hall
from tests.polling import free_port, wait_until  # noqa: F401 - re-exported
from tests.sse_reader import API, EventStreamReader, StreamEvent  # noqa: F401 - re-exported

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-23T09:00"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a `jiaohao` child: this worktree's code, the frozen clock, no
    client settings from the developer's shell."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("JIAOHAO_SERVER", "JIAOHAO_TOKEN", "JIAOHAO_CONFIG", "JIAOHAO_DB")}
    env.update(JIAOHAO_NOW=NOW, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


# -- devices ------------------------------------------------------------------------
@dataclass
class HallDevices:
    """The controller's devices, simulated on ptys held by the test process."""

    bus: object = None     # drivers.windowbus.BusSimulator of bus "floor1"
    voice: object = None   # drivers.tts.simulator.TTSModuleSimulator (SYN6288)
    board: object = None   # drivers.led.simulator.BoardSimulator (Onbon BX-6K)

    def start(self) -> "HallDevices":
        from drivers.led.simulator import BoardSimulator
        from drivers.tts.simulator import TTSModuleSimulator
        from drivers.windowbus import BusSimulator
        demo = load_hall(DEMO_HALL)
        self.bus = BusSimulator.for_config(demo, "floor1", wire_time=False)
        self.voice = TTSModuleSimulator("syn6288", seconds_per_char=0.002)
        self.board = BoardSimulator.for_board(demo.boards[0])
        for sim in (self.bus, self.voice, self.board):
            sim.start()
        return self

    def stop(self) -> None:
        for sim in (self.bus, self.voice, self.board):
            if sim is not None:
                sim.stop()

    def keypad(self, window: int):
        return self.bus.keypad(window)  # demo hall: keypad address = window number

    def window_screen(self, window: int):
        return self.bus.screen(100 + window)

    def spoken_numbers(self) -> list[str]:
        """The ticket numbers the voice module was asked to say, in order (A零零一 → A001)."""
        return [spoken_number(t) for t in list(self.voice.spoken)]


_DIGITS = dict(zip("零一二三四五六七八九", "0123456789"))


def spoken_number(text: str) -> str:
    """The ticket number in a spoken text: ``请A零零一号到5号窗口办理`` → ``A001``."""
    m = re.search(r"([A-Z])([零一二三四五六七八九0-9]{3,4})号", text)
    return m.group(1) + "".join(_DIGITS.get(c, c) for c in m.group(2)) if m else ""


def _set(text: str, pattern: str, repl: str) -> str:
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE | re.DOTALL)
    if n != 1:
        raise AssertionError(f"the demo hall changed: {pattern!r} not found")
    return new


def write_hall(path: Path, port: int, devices: HallDevices, keepalive_s: float = 1.0,
               public_port: int | None = None) -> Path:
    """The demo hall with the simulators' ports and a server on 127.0.0.1:``port`` (and
    the citizens' pages on 127.0.0.1:``public_port`` when given)."""
    text = DEMO_HALL.read_text(encoding="utf-8")
    text = _set(text, r'^url = "sim://floor1"$', f'url = "{devices.bus.path}"')
    # 8N1: Linux refuses to open a pty again once a process set it to 8E1 (tcsetattr
    # EINVAL), and a restarted serve must open the same pty; the frames are the same
    text = _set(text, r'^parity = "E".*?$', 'parity = "N"')
    text = _set(text, r'^url = "sim://board1"$', f'url = "{devices.board.path}"')
    text = _set(text, r'^\[voice\]\n.*?\n\n',
                f'[voice]\nengine = "syn6288"\nurl = "{devices.voice.path}"\n'
                'template = "请{number}号到{window}号窗口办理"\nrepeat = 1\nchime = false\n\n')
    text += (f'\n[server]\nlisten = "127.0.0.1:{port}"\nkeepalive_seconds = {keepalive_s}\n'
             "login_attempts = 3\nlogin_lockout_seconds = 5\n")
    if public_port:
        text += f'public_listen = "127.0.0.1:{public_port}"\npublic_url = "http://127.0.0.1:{public_port}"\n'
    path.write_text(text, encoding="utf-8")
    return path


# -- the jiaohao command ---------------------------------------------------------------
def jiaohao(config: Path, db: Path, *args: str, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(config), "--db", str(db), *args],
                          cwd=ROOT, env=child_env(), input=input, capture_output=True, text=True,
                          timeout=timeout)


def add_device(config: Path, db: Path, name: str, role: str, windows: tuple[int, ...] = ()) -> str:
    """A device token made by `jiaohao devices add NAME --role ROLE --json`."""
    args = ["devices", "add", name, "--role", role, "--json"]
    for w in windows:
        args += ["--window", str(w)]
    r = jiaohao(config, db, *args)
    assert r.returncode == 0, f"devices add {name}: {r.returncode} {r.stderr}"
    out = json.loads(r.stdout)
    assert out["name"] == name and out["role"] == role, out
    return out["token"]


def add_staff(config: Path, db: Path, staff: str, name: str, role: str, password: str) -> None:
    r = jiaohao(config, db, "staff", "add", staff, "--name", name, "--role", role, "--password-stdin",
                input=password + "\n")
    assert r.returncode == 0, f"staff add {staff}: {r.returncode} {r.stderr}"


# -- serve -------------------------------------------------------------------------------
class ServeProcess:
    """`jiaohao serve` on 127.0.0.1:``port``; its output goes to ``log_dir``. Each run
    stops by itself after ``lifetime_s`` (`serve --seconds`), should the test process die
    before it could stop it."""

    def __init__(self, config: Path, db: Path, port: int, log_dir: Path, lifetime_s: float = 300.0):
        self.config, self.db, self.port, self.log_dir = config, db, port, log_dir
        self.lifetime_s = lifetime_s
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"serve-{self.starts}.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def health(self) -> dict | None:
        """``/api/v1/health`` as JSON, or None when it does not answer 200."""
        try:
            r = httpx.get(f"{self.url}{API}/health", timeout=1)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    def start(self, timeout: float = 30.0, ready=None) -> "ServeProcess":
        """Start and wait until ``ready()`` (default: ``/health`` answers ``ok``)."""
        ready = ready or (lambda: (self.health() or {}).get("ok"))
        assert self.proc is None or self.proc.poll() is not None, "serve is already running"
        self.starts += 1
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jiaohao", "--config", str(self.config), "--db", str(self.db), "serve",
             "--seconds", str(self.lifetime_s)],
            cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            if ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"serve was not ready in {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the controller dies at once, nothing is closed in order."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not end in ``timeout`` s; its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_log()
        return self.proc.returncode

    def restart(self, timeout: float = 30.0, ready=None) -> "ServeProcess":
        self.kill()
        return self.start(timeout, ready)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


# -- a networked hall ----------------------------------------------------------------------
@dataclass
class NetHall:
    """A hall served on loopback: config, database, devices, the serve process, tokens."""

    dir: Path
    devices: HallDevices = field(default_factory=HallDevices)
    port: int = 0
    public_port: int = 0
    config: Path | None = None
    db: Path | None = None
    serve: ServeProcess | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    _clients: list[httpx.Client] = field(default_factory=list)

    def prepare(self, keepalive_s: float = 1.0) -> "NetHall":
        self.devices.start()
        self.port = free_port()
        self.public_port = free_port()
        self.config = write_hall(self.dir / "hall.toml", self.port, self.devices, keepalive_s, self.public_port)
        self.db = self.dir / "hall.sqlite"
        self.serve = ServeProcess(self.config, self.db, self.port, self.dir)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """The citizens' listener (``[server] public_listen``)."""
        return f"http://127.0.0.1:{self.public_port}"

    def start_serve(self, restart: bool = False, timeout: float = 30.0) -> ServeProcess:
        """Start (or SIGKILL and restart) `serve`; ready when ``/health`` answers and its bus
        master has written to every keypad (a key latched before that is not acted on)."""
        keypads = [d for d in self.devices.bus.devices.values() if type(d).__name__ == "KeypadSim"]
        before = {id(k): k.writes for k in keypads}

        def ready() -> bool:
            return bool((self.serve.health() or {}).get("ok")) and all(k.writes > before[id(k)] for k in keypads)
        if restart:
            self.serve.kill()
        return self.serve.start(timeout, ready)

    def add_device(self, name: str, role: str, windows: tuple[int, ...] = ()) -> str:
        self.tokens[name] = add_device(self.config, self.db, name, role, windows)
        return self.tokens[name]

    def add_staff(self, staff: str, name: str, role: str, password: str) -> None:
        add_staff(self.config, self.db, staff, name, role, password)

    def jiaohao(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return jiaohao(self.config, self.db, *args, input=input, timeout=timeout)

    def client(self, token: str | None = None, base_url: str | None = None, timeout: float = 5.0) -> httpx.Client:
        """An HTTP client of the API (closed with the hall); ``token`` a name in ``tokens`` or a token."""
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        c = httpx.Client(base_url=(base_url or self.url) + API, headers=headers, timeout=timeout)
        self._clients.append(c)
        return c

    def close(self) -> None:
        for c in self._clients:
            c.close()
        if self.serve is not None:
            self.serve.stop()
        self.devices.stop()


def db_cursor(db: Path, consumer: str) -> int | None:
    """The saved event cursor of a consumer of the log (e.g. ``announcer``)."""
    import sqlite3
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"cursor:{consumer}",)).fetchone()
        return int(row[0]) if row else None
    finally:
        conn.close()


def db_event_ids(db: Path, kinds: tuple[str, ...] | None = None) -> list[int]:
    """Every event id in the hall database (read-only), optionally of some kinds."""
    import sqlite3
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        if kinds:
            rows = conn.execute(f"SELECT id FROM events WHERE kind IN ({','.join('?' * len(kinds))}) ORDER BY id",
                                kinds).fetchall()
        else:
            rows = conn.execute("SELECT id FROM events ORDER BY id").fetchall()
        return [r[0] for r in rows]
    finally:
        conn.close()


# -- writes that survive a server restart ---------------------------------------------------
def post_once(client: httpx.Client, path: str, json_body: dict | None = None, key: str | None = None,
              within_s: float = 30.0) -> httpx.Response:
    """POST with one ``Idempotency-Key``, sent again after every network failure or 503
    until the server answers (``within_s`` at most): the operation happens once."""
    import uuid
    key = key or uuid.uuid4().hex
    deadline = time.monotonic() + within_s
    while True:
        try:
            r = client.post(path, json=json_body, headers={"Idempotency-Key": key})
            if r.status_code != 503:
                return r
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"POST {path}: no answer in {within_s} s")
        time.sleep(0.05)


def hall_fixture(tmp_path: Path, devices: tuple[tuple[str, str, tuple[int, ...]], ...] = (),
                 keepalive_s: float = 1.0) -> NetHall:
    """A prepared hall with these devices' tokens and `serve` started (health answers and
    the bus master has written to every keypad); the caller closes it."""
    h = NetHall(tmp_path).prepare(keepalive_s)
    try:
        for name, role, windows in devices:
            h.add_device(name, role, windows)
        h.start_serve()
    except BaseException:
        h.close()
        raise
    return h


STANDARD_DEVICES = (("kiosk-1", "kiosk", ()), ("screen-1", "screen", ()), ("caller-1", "caller", (1,)),
                    ("caller-2", "caller", (2,)), ("controller-1", "controller", ()))


@pytest.fixture
def hall(tmp_path):
    """The networked hall with the standard devices (window bus, voice module, LED board)."""
    h = hall_fixture(tmp_path, STANDARD_DEVICES)
    yield h
    h.close()
