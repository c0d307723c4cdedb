"""The hall API under a hall's load: one real `jiaohao serve` on 127.0.0.1 with the large
hall (72 windows), 72 callers, 6 kiosks and 4 screens as HTTP clients, and 1,000 open
event streams standing in for citizens' phones; in the middle of the run the server is
killed (SIGKILL) and started again.

    python benchmarks/api_bench.py [--seconds 80] [--rate 50] [--phones 1000] [--quick]

Processes: this driver (setup, serve's life, RSS samples, the figures), a load process
(asyncio + httpx: kiosks issue, callers call-next / finish, a third each of ``--rate``
operations a second on an open-loop schedule), a screens process (the same code, no
operations: 4 screens hold hall.sse.EventStream and read the snapshot every 2 s), a phones
process (benchmarks/sse_phones.py: ``--phones`` raw streams, each reconnecting with
Last-Event-ID), a probe process (the last 6 windows' call-next and
finish, ``--probe-rate`` of the operations, on blocking keep-alive connections: window
PCs each on a machine of its own, timed without the shared load process's own
scheduling). Clocks: time.monotonic() (CLOCK_MONOTONIC: one
clock for every process of the machine).

Figures, for the steady half and for the half with the restart:
issue / call-next over HTTP p50/p99 (a request that fails while the server is down is
retried with its Idempotency-Key and timed from its first try), call → its event
received by every phone p99, serve's RSS, and per stream the events missed or doubled.
Targets (issue 12): call-next p99 < 15 ms at 50 operations/s; call → all 1,000 streams
p99 < 250 ms; RSS < 400 MB; 0 missed or doubled.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api_clients import load_main, probe_main  # noqa: E402
from bench_devices import devices_main, with_device_ports  # noqa: E402
from sse_phones import phones_main  # noqa: E402


CONFIG = ROOT / "config" / "halls" / "large.toml"
NOW = "2026-11-23T10:00"  # a Monday, every service open (frozen hall clock)
SEED_TICKETS = 600
DEVICES: list = []  # the window buses' simulators' process (--keypads own)
PROBE_WINDOWS = 6  # windows whose calls come from a process of their own (api_clients.probe_main)


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- setup ----------------------------------------------------------------------------

def setup(db: str, windows: int, kiosks: int, screens: int) -> dict:
    """A new hall database: staff logged in at every window, waiting tickets, tokens."""
    from config import load_hall
    from hall import HallQueue
    from hall.access import Access
    from hall.clock import clock_from_env

    config = load_hall(CONFIG)
    q = HallQueue(db, config, clock_from_env(config.hall.timezone))
    access = Access(q)
    numbers = [w.number for w in config.windows][:windows]
    tokens = {
        "callers": {n: access.add_device(f"caller-{n}", "caller", (n,)) for n in numbers},
        "kiosks": [access.add_device(f"kiosk-{i}", "kiosk") for i in range(1, kiosks + 1)],
        "screens": [access.add_device(f"screen-{i}", "screen") for i in range(1, screens + 1)],
        "phones": access.add_device("phones", "screen"),
    }
    for n in numbers:
        q.login(n, f"{n:04d}")
    codes = [s.code for s in config.services]
    rng = random.Random(7)
    for _ in range(SEED_TICKETS):
        q.issue(rng.choice(codes))
    tokens["services"] = codes
    access.close()
    q.close()
    return tokens


def settle(url: str, quiet_s: float = 1.5, limit_s: float = 30) -> int:
    """Wait until the event log is quiet (the window buses have brought every device
    online); return its last id."""
    import httpx
    t0 = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - t0 < limit_s:
        now = httpx.get(url + "/api/v1/health", timeout=5).json()["last_event_id"]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
        time.sleep(0.1)
    return last


class Serve:
    """`jiaohao serve` as a process of its own, on a fixed port."""

    def __init__(self, db: str, port: int, log_path: str, nice: int = 0):
        self.db, self.port, self.log_path, self.nice = db, port, log_path, nice
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout_s: float = 30) -> float:
        env = dict(os.environ, JIAOHAO_DB=self.db, JIAOHAO_CONFIG=str(CONFIG), JIAOHAO_NOW=NOW)
        t0 = time.monotonic()
        with open(self.log_path, "a") as log:
            # a session of its own, as systemd starts the unit (its CPU group is its own: the
            # unit's Nice= counts against the phones' simulator, jiaohao/cpu_priority.py)
            nice = ["nice", "-n", str(self.nice)] if self.nice else []
            self.proc = subprocess.Popen([*nice, sys.executable, "-m", "jiaohao", "serve", "--listen",
                                          f"127.0.0.1:{self.port}"], cwd=ROOT, env=env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        import httpx
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited ({self.proc.returncode}); see {self.log_path}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=0.5).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"serve did not answer within {timeout_s} s; see {self.log_path}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# -- the driver --------------------------------------------------------------------------

def main() -> int:
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="api-bench-")
    serve = None
    try:
        return run(args, tmp)
    finally:
        for proc in mp.active_children():
            proc.kill()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=80.0)
    ap.add_argument("--rate", type=float, default=50.0, help="API operations a second (issue, call, finish)")
    ap.add_argument("--phones", type=int, default=1000)
    ap.add_argument("--no-restart", action="store_true")
    ap.add_argument("--keypads", choices=["own", "in-serve", "none"], default="own",
                    help="own: the large hall's 4 window buses (216 devices) simulated in a process of their "
                         "own, serve polling them over ptys as it polls RS-485 (default); in-serve: the "
                         "simulators inside serve (sim://, as jiaohao demo runs them); none: software callers "
                         "only, no bus")
    ap.add_argument("--serve-nice", type=int, default=-10 if os.geteuid() == 0 else 0,
                    help="run serve at this niceness; default: -10 as deploy/jiaohao-serve.service runs it "
                         "(Nice=-10; below 0 needs root, so 0 for other users)")
    ap.add_argument("--phones-nice", type=int, default=0,
                    help="run the phones' simulator at this niceness (phones are other machines in a hall)")
    ap.add_argument("--probe-rate", type=float, default=12.0,
                    help=f"of --rate, operations a second (call-next, finish) made by the last {PROBE_WINDOWS} "
                         "windows from a process of their own, as window PCs are; 0: none")
    ap.add_argument("--probe-nice", type=int, default=-10 if os.geteuid() == 0 else 0,
                    help="run the probe at this niceness (its window PCs are other machines: their own waits "
                         "for this machine's CPU are not the server's time)")
    ap.add_argument("--quick", action="store_true", help="a smoke run for CI: 8 s, 50 phones, 20 ops/s")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (database, serve's log)")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.phones, args.rate, args.probe_rate = 8.0, 50, 20.0, min(args.probe_rate, 6.0)
    return args


def without_keypads(source: Path, dest: Path) -> Path:
    """The hall of ``source`` with software callers only: no window bus, so the bus devices'
    simulators (which a real hall has on RS-485, not inside serve) take no CPU of serve's."""
    out, skipping = [], False
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            skipping = line.startswith("[buses.")
        if skipping or line.startswith(("keypad =", "evaluator =", "screen = {")):
            continue
        out.append(line)
    dest.write_text("\n".join(out) + "\n", encoding="utf-8")
    return dest


def run(args, tmp: str) -> int:
    global CONFIG
    restart_at = None if args.no_restart else args.seconds / 2
    if args.keypads == "none":
        CONFIG = without_keypads(CONFIG, Path(tmp) / "hall.toml")
    elif args.keypads == "own":
        ctx = mp.get_context("spawn")
        paths_out, devices_stop = ctx.Queue(), ctx.Event()
        devices = ctx.Process(target=devices_main, args=(str(CONFIG), paths_out, devices_stop), daemon=True)
        devices.start()
        DEVICES.append(devices)
        CONFIG = with_device_ports(CONFIG, Path(tmp) / "hall.toml", paths_out.get(timeout=60))
    os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    os.environ["JIAOHAO_NOW"] = NOW
    db = os.path.join(tmp, "hall.sqlite")
    tokens = setup(db, windows=72, kiosks=6, screens=4)
    serve = Serve(db, free_port(), os.path.join(tmp, "serve.log"), args.serve_nice)
    try:
        return measure(args, tmp, db, tokens, serve, restart_at)
    finally:
        serve.kill()


def measure(args, tmp, db, tokens, serve, restart_at) -> int:
    print(f"serve (nice {args.serve_nice}; the probe nice {args.probe_nice}; window buses: {args.keypads}) "
          f"started in {serve.start():.2f} s (large hall, 72 windows); {args.phones} phones, "
          f"{args.rate:.0f} ops/s for {args.seconds:.0f} s" + (f", SIGKILL + restart at {restart_at:.0f} s"
                                                                if restart_at else ""), flush=True)
    import httpx
    after = settle(serve.url)

    ctx = mp.get_context("spawn")
    ready, stop_flag, start_evt = ctx.Event(), ctx.Event(), ctx.Event()
    phones_out, load_out = ctx.Queue(), ctx.Queue()
    phones = ctx.Process(target=phones_main, args=(serve.url, tokens["phones"], args.phones, after, ready,
                                                   stop_flag, phones_out, db, args.phones_nice),
                         daemon=True)
    phones.start()
    t0 = time.monotonic()
    if not ready.wait(120):
        serve.kill()
        raise SystemExit("the phones did not all connect within 120 s")
    print(f"{args.phones} streams open in {time.monotonic() - t0:.1f} s; RSS of serve {rss_mb(serve.proc.pid):.0f} MB",
          flush=True)
    probe_windows = sorted(tokens["callers"], key=int)[-PROBE_WINDOWS:] if args.probe_rate else []
    probe_callers = {int(n): tokens["callers"][n] for n in probe_windows}
    load_tokens = {**tokens, "screens": [],
                   "callers": {n: t for n, t in tokens["callers"].items() if n not in probe_windows}}
    load = ctx.Process(target=load_main, args=(serve.url, load_tokens, args.rate - args.probe_rate, args.seconds,
                                               start_evt, load_out), daemon=True)
    load.start()
    # the 4 TV boxes in a process of their own: their streams' JSON is not the windows' wait
    screens_out = ctx.Queue()
    screens = ctx.Process(target=load_main, args=(serve.url, {**tokens, "kiosks": [], "callers": {}}, 0.0,
                                                  args.seconds, start_evt, screens_out), daemon=True)
    screens.start()
    probe_out = ctx.Queue()
    probe = None
    if probe_callers:
        probe = ctx.Process(target=probe_main, args=(serve.url, probe_callers, args.probe_rate, args.seconds,
                                                     start_evt, probe_out, args.probe_nice), daemon=True)
        probe.start()
    time.sleep(2)  # the screens connect
    lag: list[float] = []  # how late a 5 ms sleep wakes: this machine's own contention
    lag_stop = threading.Event()

    def measure_lag():
        while not lag_stop.is_set():
            t = time.monotonic()
            time.sleep(0.005)
            lag.append((time.monotonic() - t - 0.005) * 1000)
    threading.Thread(target=measure_lag, daemon=True).start()
    idle0 = cpu_of(serve.proc.pid)
    time.sleep(1.0)
    serve_idle = cpu_of(serve.proc.pid) - idle0  # buses and 1,000 quiet streams, a second
    start_evt.set()
    t_start = time.monotonic()
    cpu0 = cpu_of(serve.proc.pid)
    devices_cpu0 = cpu_of(DEVICES[0].pid) if DEVICES else 0.0
    rss = {"steady": 0.0, "restart": 0.0}
    restart = {}
    while time.monotonic() - t_start < args.seconds:
        phase = "restart" if restart_at is not None and time.monotonic() - t_start >= restart_at else "steady"
        if phase == "restart" and not restart:
            kill_t = time.monotonic()
            serve_cpu_before = cpu_of(serve.proc.pid) - cpu0
            serve.kill()
            restart["killed_at"] = kill_t - t_start
            restart["kill_t"] = kill_t
            restart["up_in"] = serve.start()
            restart["up_at"] = time.monotonic() - t_start
        rss[phase] = max(rss[phase], rss_mb(serve.proc.pid))
        time.sleep(0.5)
    # with a restart: the killed process's share, then all of the new one's (its start included)
    serve_cpu = serve_cpu_before + cpu_of(serve.proc.pid) if restart else cpu_of(serve.proc.pid) - cpu0
    run_s = time.monotonic() - t_start
    devices_cpu = cpu_of(DEVICES[0].pid) - devices_cpu0 if DEVICES else None
    lag_stop.set()
    got = load_out.get(timeout=args.seconds + 120)
    load.join(30)
    shown = screens_out.get(timeout=60)
    screens.join(30)
    got["samples"]["hall"] = shown["samples"]["hall"]
    got["failures"]["hall"] = shown["failures"]["hall"]
    got["screens"], got["after"], got["until"] = shown["screens"], shown["after"], shown["until"]
    probed = probe_out.get(timeout=60) if probe is not None else None
    if probe is not None:
        probe.join(30)
    # let the phones catch up with the last events, then stop them
    last = httpx.get(serve.url + "/api/v1/health").json()["last_event_id"]
    time.sleep(3)
    rss["end"] = rss_mb(serve.proc.pid)
    stop_flag.set()
    ph = phones_out.get(timeout=120)
    phones.join(30)
    serve.stop()

    # figures
    kill_t = restart.get("kill_t", float("inf"))

    def split(kind):
        """(done before the kill, the rest): an operation under way at the kill counts in the second"""
        steady, restarted = [], []
        for t, dt, retried in got["samples"][kind]:
            (restarted if t + dt >= kill_t else steady).append(dt * 1000)
        return steady, restarted

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    called_event = {r[0]: r[1] for r in conn.execute("SELECT ticket_id, id FROM events WHERE kind = 'called'")}
    screen_expected = [r[0] for r in conn.execute("SELECT id FROM events WHERE id > ? AND id <= ? ORDER BY id",
                                                  (got["after"], got["until"]))]
    conn.close()
    fan = {"steady": [], "restart": []}
    first_in = {"steady": [], "restart": []}  # call sent -> the first phone has its event
    incomplete = 0
    for ticket_id, t_sent in got["calls"]:
        ev = called_event.get(ticket_id)
        if ev is None or ev not in ph["seen"]:
            incomplete += 1
            continue
        count, t_last, t_first = ph["seen"][ev]
        if count < args.phones:
            incomplete += 1
        phase = "restart" if t_last >= kill_t else "steady"
        fan[phase].append((t_last - t_sent) * 1000)
        first_in[phase].append((t_first - t_sent) * 1000)

    print()
    phases = ["steady"] + (["restart"] if restart_at is not None else [])
    for phase in phases:
        title = "steady" if phase == "steady" else "with the restart"
        print(f"-- {title} ({'before the kill' if phase == 'steady' else 'from the kill on'})")
        for kind in ("issue", "call", "finish", "hall"):
            s = split(kind)[0 if phase == "steady" else 1]
            print(f"  {kind:7} over HTTP: p50 {pct(s, 50):7.2f}  p99 {pct(s, 99):8.2f}  max {max(s) if s else 0:8.2f} ms"
                  f"  (n={len(s)})")
        if probed is not None:
            for kind in ("call", "finish"):
                mine = [(dt * 1000, st) for t, dt, st in probed["samples"][kind]
                        if (t + dt >= kill_t) == (phase == "restart")]
                s = [dt for dt, _ in mine]
                print(f"  {kind:7} from {PROBE_WINDOWS} window PCs of their own: p50 {pct(s, 50):7.2f}  "
                      f"p99 {pct(s, 99):8.2f}  max {max(s) if s else 0:8.2f} ms  (n={len(s)})")
                s = [st for _, st in mine if st is not None]
                print(f"  {'':7}   the server's own part (Server-Timing): p50 {pct(s, 50):7.2f}  "
                      f"p99 {pct(s, 99):8.2f}  max {max(s) if s else 0:8.2f} ms")
        f = fan[phase]
        print(f"  call -> event at all {args.phones} phones: p50 {pct(f, 50):7.1f}  p99 {pct(f, 99):7.1f}  "
              f"max {max(f) if f else 0:7.1f} ms  (n={len(f)})")
        f1 = first_in[phase]
        print(f"  call -> event at the first phone: p50 {pct(f1, 50):7.1f}  p99 {pct(f1, 99):7.1f} ms")
        print(f"  serve RSS max {rss[phase]:.0f} MB")
    if restart:
        print(f"-- restart: SIGKILL at {restart['killed_at']:.1f} s, answering again after {restart['up_in']:.2f} s")
    print(f"-- streams: {args.phones} phones, {ph['expected']} events each expected; missed {ph['missed']}, "
          f"doubled {ph['doubled']}, streams with a fault {ph['streams_bad']}; reconnects {ph['reconnects']}")
    for ex in ph["examples"]:
        print(f"   out of order: ... {ex} ...")
    for i, sc in enumerate(got["screens"]):
        ids = sc["ids"]
        ids = [i for i in ids if i <= got["until"]]
        print(f"   screen {i + 1} (hall.sse.EventStream): missed {len(set(screen_expected) - set(ids))}, "
              f"doubled {len(ids) - len(set(ids))}, in order {ids == sorted(ids)}, connections {sc['connects']}")
    print(f"-- failed operations (no answer in 30 s): {got['failures']}; calls without a complete fan-out: {incomplete}")
    print(f"-- CPU seconds over the {run_s:.0f} s run: serve {serve_cpu:.1f} (idle with the phones: "
          f"{serve_idle:.2f} a second), load {got['cpu']:.1f}, screens {shown['cpu']:.1f}, "
          f"phones {ph['cpu']:.1f} (whole-process: the load's and screens' with their start, the phones' with "
          f"their connecting)" + (f"; the window buses' devices {devices_cpu:.1f}" if devices_cpu is not None else ""))
    print(f"-- serve RSS at the end {rss['end']:.0f} MB; machine: load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores, a 5 ms sleep woke late by p50 {pct(lag, 50):.2f} / p99 {pct(lag, 99):.1f} ms")

    steady_call = split("call")[0]
    probe_call = [dt * 1000 for t, dt, _ in probed["samples"]["call"] if t + dt < kill_t] if probed else []
    checks = [
        ("call-next p99 < 15 ms (steady, the load process)", pct(steady_call, 99) < 15, False),
        ("call-next p99 < 15 ms (steady, window PCs of their own)", bool(probe_call) and pct(probe_call, 99) < 15,
         False),
        (f"call -> all {args.phones} phones p99 < 250 ms (steady)", pct(fan["steady"], 99) < 250, False),
        ("serve RSS < 400 MB", max(rss.values()) < 400, False),
        ("no event missed or doubled, in order (phones, screens)",
         ph["missed"] == ph["doubled"] == ph["streams_bad"] == 0 and all(
             set(screen_expected) <= set(sc["ids"]) and sc["ids"] == sorted(set(sc["ids"]))
             for sc in got["screens"]), True),
        ("every operation answered, every call's event at every phone",
         not any(got["failures"].values()) and incomplete == 0, True),
    ]
    print("-- targets: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok, _ in checks))
    # the exit status fails on lost or doubled events and unanswered operations only: latency
    # on a shared 2-core machine is a figure to read, not a pass/fail
    return 0 if all(ok for _, ok, hard in checks if hard) else 1


if __name__ == "__main__":
    sys.exit(main())
