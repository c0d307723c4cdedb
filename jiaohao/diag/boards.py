"""`jiaohao diag board [--index N] [--text TEXT …]`: test an LED hall board in plain words."""
from __future__ import annotations

import json

from . import CheckResult

FIX = {
    "open": ("串口打不开：检查 USB 转 RS-485 转换器是否插好、配置里的串口是否存在（jiaohao diag ports 列出串口） "
             "(the serial port does not open: check the USB-RS485 adapter is plugged in and the port "
             "in the config exists)"),
    "silent": ("条屏不应答：检查 RS-485 线（A 接 A，B 接 B；拿不准就对调）、条屏电源、控制卡上的波特率（配置里是 {baud}）"
               "和屏地址（配置里是 {address}，仰邦卡开机时会显示） (the board does not answer: check the RS-485 "
               "cable, A to A, B to B, swap them if unsure; the board's power, the baud rate set on the card, "
               "{baud} in the config, and its screen address, {address} in the config; Onbon cards show it at power-on)"),
    "port": ("串口在使用中出错：USB 转 RS-485 转换器被拔下或复位了；插回去即可（jiaohao serve 会自己重新打开，"
             "并把当前叫号重新显示到条屏上） (the serial port failed while in use: the USB-RS485 adapter was "
             "unplugged or reset; plug it back in: jiaohao serve reopens it by itself and puts the current calls back)"),
    "refused": ("控制卡拒收（NACK）：检查配置里的协议（onbon-bx 或 plain）、控制卡系列（配置里是 {series}；"
                "BX-5K1/5K2/5MK 属 5K，BX-6K1/6K2/6K3 属 6K），以及这是字库卡，不是 6Q/6E 图文卡 "
                "(the card refused the frame: check the protocol in the config, onbon-bx or plain, "
                "the card series, and that the card is a font card, not a 6Q/6E graphics card)"),
    "unexpected": ("有设备应答了，但不是仰邦卡的 ACK 或 NACK：检查这条 RS-485 线上只接了条屏控制卡、配置里的协议对不对 "
                   "(something answered that is not an Onbon card's ACK or NACK: check that only LED cards "
                   "are on this RS-485 line and that the protocol in the config is right)"),
    "garbled": ("应答是乱码：控制卡上的波特率可能不是 {baud} "
                "(the answer is garbled: the baud rate on the card probably differs from {baud})"),
}


def fix_for(error: str, board) -> str:
    text = str(error)
    if "cannot open" in text or "not open" in text:
        key = "open"
    elif "port failed" in text:
        key = "port"
    elif "refused" in text:
        key = "refused"
    elif "unexpected answer" in text:
        key = "unexpected"
    elif "garbled" in text:
        key = "garbled"
    else:
        key = "silent"
    return FIX[key].format(baud=board.baud, address=board.address, series=board.series)


def _label(i: int, board) -> str:
    return f"LED board {i + 1}{' ' + board.name if board.name else ''} {board.url} (address {board.address})"


def _default_sim(board):
    from display.boards import default_simulator
    return default_simulator(board)


def _kind(board) -> str:
    return f"onbon-bx BX-{board.series}" if board.protocol == "onbon-bx" else board.protocol


def _sim_lines(url: str):
    from drivers.led import BoardSimulator
    from drivers.transport import get_sim, sim_name
    name = sim_name(url)
    sim = get_sim(name) if name else None
    return list(sim.lines) if isinstance(sim, BoardSimulator) else None


def run(ctx, args) -> int:
    from drivers.led import HallBoard, LedError
    boards = ctx.config.boards
    if not boards:
        print("这个大厅没有配置条屏 (no [[boards]] in the hall config)")
        return 1
    if not 1 <= args.index <= len(boards):
        print(f"--index {args.index}: 配置里有 {len(boards)} 块条屏，编号 1-{len(boards)} "
              f"(the config has {len(boards)} board(s), numbered 1-{len(boards)})")
        return 2
    board = boards[args.index - 1]
    lines = args.text or [f"测试 TEST {args.index}号屏", "请A001号到1号窗口"]
    result = {"board": args.index, "url": board.url, "protocol": board.protocol,
              "address": board.address, "lines": lines}
    if board.protocol == "onbon-bx":
        result["series"] = board.series
    out = [f"条屏 (board) {_label(args.index - 1, board)}：{_kind(board)}，波特率 {board.baud}，"
           f"{board.width}x{board.height} 像素，{board.lines} 行 ({_kind(board)}, {board.baud} baud, "
           f"{board.width}x{board.height} px, {board.lines} line(s))"]
    hb = HallBoard(board, default_sim=_default_sim(board), reply_timeout=args.timeout)
    code = 0
    try:
        hb.show(lines)
        result.update(ok=True, answer=hb.last_answer)
        out.append(f"板卡回复 (the board answered): {hb.last_answer}")
        out.append("已显示 (shown): " + " | ".join(lines))
        shown = _sim_lines(board.url)
        if shown is not None:
            result["simulator_shows"] = shown
            out.append("模拟屏显示 (simulator shows): " + " | ".join(shown))
    except LedError as e:
        result.update(ok=False, error=str(e), fix=fix_for(str(e), board))
        out += [f"未显示，失败 (not shown, FAILED): {e}", f"处理办法 (fix): {result['fix']}"]
        code = 1
    finally:
        hb.close()
    print(json.dumps(result, ensure_ascii=False) if args.json else "\n".join(out))
    return code


def register(diag_sub) -> None:
    p = diag_sub.add_parser("board", help="LED hall board: send a test text and check that it answers")
    p.add_argument("--index", type=int, default=1, help="which [[boards]] entry, from 1 (default 1)")
    p.add_argument("--text", action="append", metavar="TEXT",
                   help="a line to show; repeat for more lines (default: a test pattern)")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for the answer (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


def check(ctx) -> list[CheckResult]:
    from drivers.led import HallBoard, LedError
    results = []
    for i, board in enumerate(ctx.config.boards):
        hb = HallBoard(board, default_sim=_default_sim(board))
        try:
            hb.ping()
            results.append(CheckResult(_label(i, board), True,
                                       f"应答正常 {hb.last_answer}（{_kind(board)}，波特率 {board.baud}） "
                                       f"(answers {hb.last_answer}: {_kind(board)}, {board.baud} baud)"))
        except LedError as e:
            results.append(CheckResult(_label(i, board), False, str(e), fix_for(str(e), board)))
        finally:
            hb.close()
    return results
