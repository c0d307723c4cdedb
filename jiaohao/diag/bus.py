"""`jiaohao diag bus NAME --scan|--watch|--budget` and `jiaohao diag screen`: the window
buses for technicians — which addresses answer, what the keys send, how long a poll
cycle takes against the wire budget, a text on a window screen. ``check`` asks every
configured device once and reports the ones that do not answer and noisy buses.

Run these with `jiaohao serve` stopped on real hardware: a port has one master.
"""
from __future__ import annotations

import json
import time

from ..commands.inputs import number
from . import FIX_TAG, ROLE_ZH, CheckResult, reasons


def _open(config, bus: str):
    """The bus's protocol with its port open; raises with a plain reason if it cannot."""
    from drivers.windowbus import BusSimulator, WindowBusError, open_protocol
    proto = open_protocol(config.buses[bus], bus, default_sim=lambda: BusSimulator.for_config(config, bus))
    master = getattr(proto, "master", None)
    if master is not None and not master.open():
        detail, fix = reasons.open_error(config.buses[bus].url, OSError(master.last_error))
        raise WindowBusError(f"bus {bus}: {detail}\n  fix: {fix}")
    return proto


def _configured(config, bus: str) -> dict[int, tuple[int, str]]:
    out = {}
    for w in config.windows:
        for role in ("keypad", "evaluator", "screen"):
            ref = getattr(w, role)
            if ref is not None and ref.bus == bus:
                out[ref.address] = (w.number, role)
    return out


def register(sub) -> None:
    p = sub.add_parser("bus", help="window bus: scan addresses, watch keys, cycle time vs wire budget")
    p.add_argument("name", help="bus name from the hall config ([buses.NAME])")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--scan", action="store_true", help="ask every address what answers there")
    mode.add_argument("--watch", action="store_true", help="show key presses and ratings as they come")
    mode.add_argument("--budget", action="store_true", help="poll cycle time against the wire budget")
    p.add_argument("--all", action="store_true", help="--scan: every address 1-247, not only configured ones")
    p.add_argument("--seconds", type=float, default=None, help="--watch/--budget: stop after this long")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=bus_command)

    s = sub.add_parser("screen", help="show a text on a window screen")
    s.add_argument("--bus", metavar="NAME", help="bus name from the hall config (default: the only bus)")
    s.add_argument("--address", type=number("bus address", 1, 247, "总线地址"), required=True,
                   help="the window screen's address on that bus (e.g. 101; `diag bus NAME --scan` lists them)")
    s.add_argument("--text", required=True, help="line 1 (16 Chinese characters at most)")
    s.add_argument("--line2", default="", help="line 2")
    s.add_argument("--flash", type=int, default=3, help="seconds to flash line 1")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout")
    s.set_defaults(func=screen_command)


def _open_named(ctx, name: str | None):
    """Open the configured bus ``name`` (None: the hall's only bus); CommandError names what is wrong."""
    from drivers.windowbus import WindowBusError
    from jiaohao.context import CommandError
    if name is None:
        if len(ctx.config.buses) != 1:
            known = ", ".join(ctx.config.buses) or "none"
            raise CommandError(f"请用 --bus 指定总线 (give --bus NAME: the hall has {len(ctx.config.buses)} buses: {known})")
        name = next(iter(ctx.config.buses))
    if name not in ctx.config.buses:
        known = ", ".join(ctx.config.buses) or "none"
        raise CommandError(f"{ctx.config_path} 里没有总线 {name!r}，已配置的是 {known} (no bus {name!r} in the hall config; "
                           f"configured: {known})")
    try:
        return _open(ctx.config, name)
    except WindowBusError as e:
        raise CommandError(str(e)) from None


def bus_command(ctx, args) -> int:
    proto = _open_named(ctx, args.name)
    try:
        if args.scan:
            return scan(ctx, args, proto)
        if args.watch:
            return watch(ctx, args, proto)
        return budget_run(ctx, args, proto)
    finally:
        proto.close()


def scan(ctx, args, proto) -> int:
    from drivers.windowbus import WindowBusError
    from drivers.windowbus.master import NoAnswer
    configured = _configured(ctx.config, args.name)
    addresses = range(1, 248) if args.all else sorted(configured)
    rows, missing = [], []
    for address in addresses:
        where = configured.get(address)
        try:
            kind, version = proto.identify(address)
            rows.append({"address": address, "answers": True, "kind": kind.name.lower(), "version": version,
                         "configured": f"window {where[0]} {where[1]}" if where else None})
        except NoAnswer:
            if where:
                missing.append(address)
                rows.append({"address": address, "answers": False,
                             "configured": f"window {where[0]} {where[1]}"})
        except WindowBusError as e:
            rows.append({"address": address, "answers": False, "error": str(e),
                         "configured": f"window {where[0]} {where[1]}" if where else None})
            if where:
                missing.append(address)
    stats = proto.stats.to_json()
    if args.json:
        print(json.dumps({"bus": args.name, "devices": rows, "stats": stats}, ensure_ascii=False))
    else:
        b = ctx.config.buses[args.name]
        print(f"窗口总线 (bus) {args.name}（{b.url}，波特率 {b.baud}）:")
        for r in rows:
            what = r["configured"] or "配置里没有 (NOT IN THE HALL CONFIG)"
            state = f"有应答 (answers): {r['kind']}（协议 {r['version']}）" if r["answers"] else \
                ("没有应答 (NO ANSWER)" if "error" not in r else f"应答有误 (BAD REPLY): {r['error']}")
            print(f"  {r['address']:>3}  {what:<24} {state}")
        answered = sum(r["answers"] for r in rows)
        print(f"{answered} 个设备有应答，{len(missing)} 个已配置的设备没有应答 "
              f"({answered} device(s) answer, {len(missing)} configured device(s) do not)")
        if missing:
            print(f"  {FIX_TAG} " + reasons.no_answer(args.name, missing[0], "device")[1])
    return 0 if not missing else 1


def _poller(ctx, name: str, proto):
    from caller.service import slots_for_bus
    from drivers.windowbus import BusPoller
    b = ctx.config.buses[name]
    return BusPoller(proto, slots_for_bus(ctx.config, name), name=name, offline_retry_s=b.offline_retry_s)


def watch(ctx, args, proto) -> int:
    from drivers.windowbus import PortDown
    from drivers.windowbus.codec import KEY_LABELS_ZH, EventCode
    poller = _poller(ctx, args.name, proto)

    def on_event(slot, ev):
        try:
            code = EventCode(ev.code)
            key = f"{code.name} {KEY_LABELS_ZH[code]}"
        except ValueError:
            key = f"未知代码 (unknown code) {ev.code}"
        line = {"at": time.strftime("%H:%M:%S"), "address": slot.unit, "window": slot.window, "role": slot.role,
                "seq": ev.seq, "key": key, "arg": ev.arg}
        print(json.dumps(line, ensure_ascii=False) if args.json else
              f"{line['at']}  窗口 (window) {slot.window:>3} {slot.role:<9} (地址 address {slot.unit:>3})  {key}"
              + (f"  参数 (argument) {ev.arg}" if ev.arg else ""), flush=True)

    def on_status(slot, online):
        if not args.json:
            print(f"{time.strftime('%H:%M:%S')}  {slot.label}: {'在线 (online)' if online else '离线 (OFFLINE)'}",
                  flush=True)

    poller.on_event, poller.on_status = on_event, on_status
    if not args.json:
        print(f"正在监听总线 {args.name}：按呼叫键盘上的键（只显示，不执行）；Ctrl-C 停止 "
              f"(watching bus {args.name}: press keys on the keypads (events are shown, not acted on); "
              "Ctrl-C to stop)", flush=True)
    end = time.monotonic() + args.seconds if args.seconds else None
    try:
        while end is None or time.monotonic() < end:
            try:
                if not poller.cycle():
                    time.sleep(0.02)
            except PortDown as e:
                print(f"{e}", flush=True)
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    if not args.json:
        print(f"计数 (counters): {proto.stats.to_json()}")
    return 0


def budget_run(ctx, args, proto) -> int:
    from drivers.windowbus import budget
    poller = _poller(ctx, args.name, proto)
    b = ctx.config.buses[args.name]
    end = time.monotonic() + (args.seconds or 5.0)
    while time.monotonic() < end:
        if not poller.cycle():
            time.sleep(0.02)
    clean = [c for c in list(poller.cycle_stats.recent)[1:] if c[1] == c[2]]  # polls only, no writes
    recent = clean or list(poller.cycle_stats.recent)
    online = sum(1 for s in poller.slots if s.online)
    polled = round(sum(c[1] for c in recent) / len(recent)) if recent else 0
    cycle = sum(c[0] for c in recent) / len(recent) if recent else float("nan")
    bits = budget.bus_bits(b)
    fmt = budget.format_name(b.parity, b.stopbits)
    want = budget.cycle_budget_s(polled, b.baud, bits=bits) if polled else float("nan")
    stats = proto.stats
    rate = stats.errors / stats.requests if stats.requests else 0.0
    out = {"bus": args.name, "baud": b.baud, "format": fmt, "bits_per_char": bits,
           "poll_budget_ms": round(budget.poll_budget_s(b.baud, bits=bits) * 1000, 2),
           "frame_gap_ms": round(budget.frame_gap_s(b.baud, bits) * 1000, 2), "devices": len(poller.slots), "online": online,
           "polls_per_cycle": polled, "cycle_ms": round(cycle * 1000, 1), "budget_ms": round(want * 1000, 1),
           "ratio": round(cycle / want, 3) if polled else None, "steady": bool(clean),
           "error_rate": round(rate, 4),
           "stats": stats.to_json()}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    n = len(poller.slots)
    print(f"总线 {args.name}：{n} 个设备中 {online} 个在线，每轮轮询 {polled} 个（窗口屏每 {b.offline_retry_s:g} 秒查一次） "
          f"(bus {args.name}: {online} of {n} devices online, {polled} polled every cycle "
          f"(window screens are checked every {b.offline_retry_s:g} s))")
    if polled:
        poll_ms, gap_ms = budget.poll_budget_s(b.baud, bits=bits) * 1000, budget.frame_gap_s(b.baud, bits) * 1000
        print(f"一轮轮询 {cycle * 1000:.0f} ms；按线路速度（{b.baud} 波特 {fmt}，每字节 {bits} 位）应为 {want * 1000:.0f} ms"
              f"（每次轮询 {poll_ms:.1f} ms，帧间隔 {gap_ms:.2f} ms）-> {cycle / want:.2f} 倍 "
              f"(poll cycle {cycle * 1000:.0f} ms; wire budget at {b.baud} baud {fmt} ({bits} bits a byte) "
              f"{want * 1000:.0f} ms ({poll_ms:.1f} ms a poll, {gap_ms:.2f} ms gap) -> {cycle / want:.2f}x)")
    else:
        print("没有设备应答，无从计时 (no device answered: nothing to time)")
    if polled and not clean:
        print("  注意：只计了第一轮（它要识别每个设备并读出各自的内容）；多运行一会儿，如 --seconds 10，才是平稳的一轮 "
              "(note: only the first cycle was timed (it identifies every device and reads what each holds); "
              "run longer, e.g. --seconds 10, for the steady cycle)")
    faults = stats.port_errors + stats.open_failures
    print(f"出错：{stats.requests} 次请求中 {stats.errors} 次（{rate:.1%}）：超时 {stats.timeouts}，CRC 错 {stats.bad_crc}，"
          f"地址不对 {stats.wrong_address}，异常应答 {stats.exceptions}，乱码字节 {stats.garbage_bytes}；串口故障 {faults} "
          f"(errors: {stats.errors} of {stats.requests} requests ({rate:.1%}): {stats.timeouts} time-outs, "
          f"{stats.bad_crc} bad CRC, {stats.wrong_address} wrong address, {stats.exceptions} exceptions, "
          f"{stats.garbage_bytes} garbage bytes; {faults} port faults)")
    if polled and cycle > 0.8:
        print("  注意：按键最多要等一轮；9600 波特的总线上设备超过约 30 个时，把窗口分到两条总线上，或提高波特率（每个设备和配置都要改） "
              "(note: a key press can wait up to one cycle; with more than ~30 devices on a 9600-baud bus, "
              "split the windows over two buses or raise the baud rate (every device and the config))")
    return 0


def screen_command(ctx, args) -> int:
    from drivers.windowbus import ScreenState, WindowBusError
    from jiaohao.cli import emit
    from jiaohao.context import CommandError
    if args.bus is None and len(ctx.config.buses) == 1:
        args.bus = next(iter(ctx.config.buses))
    proto = _open_named(ctx, args.bus)
    try:
        proto.write_screen(args.address, ScreenState(args.text, args.line2, flash_s=args.flash))
    except WindowBusError as e:
        detail, fix = reasons.no_answer(args.bus, args.address, "window screen")
        raise CommandError(f"{detail} ({e})\n  {FIX_TAG} {fix}") from None
    finally:
        proto.close()
    emit(args, {"ok": True, "bus": args.bus, "address": args.address, "text": args.text},
         f"窗口屏已显示 (window screen at address {args.address} on bus {args.bus} shows) {args.text!r}")
    return 0


def check(ctx) -> list[CheckResult]:
    """Every configured device on every bus, asked once; plus each bus's error rate."""
    from drivers.windowbus import WindowBusError
    from drivers.windowbus.master import NoAnswer
    results = []
    for name, b in ctx.config.buses.items():
        configured = _configured(ctx.config, name)
        if not configured:
            continue
        try:
            proto = _open(ctx.config, name)
        except WindowBusError as e:
            detail, fix = reasons.open_error(b.url, OSError(str(e)))
            results.append(CheckResult(f"bus {name} {b.url}", False, detail, fix))
            continue
        try:
            for address, (window, role) in sorted(configured.items()):
                device = f"bus {name} address {address} (window {window} {role})"
                try:
                    kind, version = proto.identify(address)
                    proto.read_event(address)
                    expected = {"keypad": (1, 3), "evaluator": (2, 3), "screen": (4,)}[role]
                    if int(kind) not in expected:
                        results.append(CheckResult(device, False, f"应答的是{kind.label_zh}，不是{ROLE_ZH[role]} "
                                                   f"(answers as a {kind.name.lower()}, not a {role})",
                                                   "把设备地址设成大厅配置里的地址，或改正配置（呼叫器和窗口屏的地址"
                                                   "可能对调了） (set the device's address to the one in the hall "
                                                   "config, or fix the config: a keypad and a screen may have "
                                                   "swapped addresses)"))
                    else:
                        results.append(CheckResult(device, True, f"在线，{kind.label_zh}，协议版本 {version} (online, protocol {version})"))
                except NoAnswer:
                    detail, fix = reasons.no_answer(name, address, role)
                    results.append(CheckResult(device, False, detail, fix))
                except WindowBusError as e:
                    results.append(CheckResult(device, False, f"应答有误 (bad reply): {e}",
                                               reasons.bad_crc(name, 1.0)[1]))
            st = proto.stats
            garbled = st.bad_crc + st.wrong_address + (1 if st.garbage_bytes else 0)
            rate = garbled / st.requests if st.requests else 0.0
            if rate > 0.02:
                detail, fix = reasons.bad_crc(name, rate)
                results.append(CheckResult(f"bus {name} {b.url}", False, detail, fix))
            else:
                results.append(CheckResult(f"bus {name} {b.url}", True,
                                           f"查询 {st.requests} 次，超时 {st.timeouts} 次，校验错 {st.bad_crc} 次，"
                                           f"异常应答 {st.exceptions} 次 ({st.requests} requests, {st.timeouts} "
                                           f"time-outs, {st.bad_crc} bad CRC, {st.exceptions} exceptions)"))
        finally:
            proto.close()
    return results
