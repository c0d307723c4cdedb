"""The pure layer of the window bus: CRC, frames and the register map, byte-exact."""
from __future__ import annotations

import pytest

from config import ConfigError, parse_hall
from drivers.windowbus import budget, rtu
from drivers.windowbus.codec import (KEYPAD_REGS, SCREEN_REGS, BusEvent, DeviceKind, EventCode, KeypadState,
                                     ScreenState, decode_event, decode_text, encode_text, seq_jump)


@pytest.mark.parametrize("body,crc", [
    ("01 03 00 00 00 0a", "c5 cd"),                      # the classic read-holding example
    ("11 03 00 6b 00 03", "76 87"),                      # Modbus application protocol spec
    ("11 10 00 01 00 02 04 00 0a 01 02", "c6 f0"),       # spec: write multiple registers
    ("01 84 02", "c2 c1"),                               # exception reply, illegal data address
    ("", "ff ff"),
])
def test_crc16_modbus(body, crc):
    data = bytes.fromhex(body)
    assert rtu.with_crc(data)[len(data):] == bytes.fromhex(crc)
    assert rtu.crc_ok(rtu.with_crc(data)) or not data


@pytest.mark.parametrize("frame,expected", [
    (lambda: rtu.read_request(1, rtu.READ_INPUT, 0x0002, 3), "01 04 00 02 00 03 11 cb"),
    (lambda: rtu.read_request(0x11, rtu.READ_HOLDING, 0x6B, 3), "11 03 00 6b 00 03 76 87"),
    (lambda: rtu.write_request(0x11, 1, [0x000A, 0x0102]), "11 10 00 01 00 02 04 00 0a 01 02 c6 f0"),
    (lambda: rtu.exception_reply(1, rtu.READ_INPUT, 2), "01 84 02 c2 c1"),
    (lambda: rtu.read_reply(5, rtu.READ_INPUT, [1, 1]), "05 04 04 00 01 00 01 " +
     rtu.with_crc(bytes.fromhex("05 04 04 00 01 00 01"))[-2:].hex(" ")),
    (lambda: rtu.write_reply(7, 0x0100, 20), "07 10 01 00 00 14 " +
     rtu.with_crc(bytes.fromhex("07 10 01 00 00 14"))[-2:].hex(" ")),
])
def test_frames_byte_exact(frame, expected):
    assert frame().hex(" ") == expected


def test_poll_request_and_reply_sizes_match_the_wire_budget():
    assert len(rtu.read_request(1, rtu.READ_INPUT, 2, 3)) == budget.POLL_REQUEST
    assert rtu.reply_length(rtu.READ_INPUT, 3) == budget.POLL_REPLY
    assert budget.wire_s(19, 9600) == pytest.approx(0.0218, abs=1e-4)          # 8E1, the default
    assert budget.wire_s(19, 9600, bits=10) == pytest.approx(0.0198, abs=1e-4)  # 8N1
    assert budget.frame_gap_s(115200) == 0.00175
    assert budget.cycle_budget_s(36, 9600) == pytest.approx(36 * budget.poll_budget_s(9600))


@pytest.mark.parametrize("bad", [
    lambda: rtu.read_request(248, 4, 0, 1), lambda: rtu.read_request(1, 4, 0, 0),
    lambda: rtu.read_request(1, 4, 0, 126), lambda: rtu.write_request(1, 0, []),
])
def test_bad_requests_are_refused(bad):
    with pytest.raises(ValueError):
        bad()


def test_find_frame_skips_garbage_and_sees_exceptions():
    reply = rtu.read_reply(3, 4, [1, 2, 3])
    assert rtu.find_frame(b"\x00\xfe" + reply, 3, 4, 11) == (2, 11)
    assert rtu.find_frame(reply[:-1] + b"\x00", 3, 4, 11) is None
    assert rtu.find_frame(rtu.exception_reply(3, 4, 6), 3, 4, 11) == (0, 5)
    assert rtu.find_any_frame(rtu.read_reply(9, 4, [1, 2, 3]), 4, 11) == 9
    assert rtu.parse_read_values(reply) == [1, 2, 3]


@pytest.mark.parametrize("text,nbytes,regs", [
    ("A023", 16, [0x4130, 0x3233, 0, 0, 0, 0, 0, 0]),
    ("请A023", 8, [0xC7EB, 0x4130, 0x3233, 0]),             # 请 is C7 EB in GBK
    ("暂停服务", 8, [0xD4DD, 0xCDA3, 0xB7FE, 0xCEF1]),
    ("A暂停", 4, [0x41D4, 0xDD00]),                           # cut before half a character
    ("A€B", 4, [0x413F, 0x4200]),                             # not in GBK: "?"
    ("", 4, [0, 0]),
])
def test_text_encoding(text, nbytes, regs):
    assert encode_text(text, nbytes) == regs


@pytest.mark.parametrize("text", ["请A023号到5号窗口", "不动产登记", "暂停服务 午休", "A1", ""])
def test_text_round_trip(text):
    assert decode_text(encode_text(text, 32)) == text


def test_keypad_block_layout():
    regs = KeypadState(ack_seq=7, state="serving", waiting=12345, prompt=True, ticket="A023",
                       message="办理中").registers()
    assert len(regs) == KEYPAD_REGS == 0x14
    assert regs[:4] == [7, 2, 9999, 1]                     # waiting capped at 9999
    assert regs[4:6] == [0x4130, 0x3233] and regs[6:12] == [0] * 6
    assert decode_text(regs[12:20]) == "办理中"
    back = KeypadState.from_registers(regs)
    assert (back.ticket, back.state, back.waiting, back.prompt) == ("A023", "serving", 9999, True)


def test_screen_block_layout():
    s = ScreenState("请A023号到5号窗口", "不动产登记", scroll=True, brightness=20, flash_s=5)
    regs = s.registers()
    assert len(regs) == SCREEN_REGS == 0x23
    assert regs[0] == 1 and regs[-2:] == [16, 5]            # brightness clamped to 1-16
    assert regs[1] == 0xC7EB
    assert ScreenState.from_registers(regs).line1 == "请A023号到5号窗口"


def test_events_and_sequences():
    assert decode_event([3, 7, 5]) == BusEvent(3, EventCode.TRANSFER, 5)
    assert EventCode.parse("call") is EventCode.CALL and EventCode.parse(20) is EventCode.RATE
    assert EventCode.parse("call-ticket") is EventCode.CALL_TICKET
    with pytest.raises(ValueError):
        EventCode.parse("BOGUS")
    assert seq_jump(65535, 1) == 2 and seq_jump(4, 5) == 1 and seq_jump(5, 5) == 0
    assert DeviceKind(3).takes_keys and DeviceKind(3).rates and not DeviceKind(4).takes_keys


HALL = """\
[hall]
name = "测试中心"

[buses.floor1]
url = "sim://floor1"

[buses.floor2]
url = "sim://floor2"

[[services]]
code = "A"
name = "社会保障"

[[windows]]
number = 1
services = ["A"]
keypad = { bus = "floor1", address = 1 }
evaluator = { bus = "floor1", address = 51 }
screen = { bus = "floor2", address = 1 }
"""


def test_config_same_address_on_two_buses_is_fine():
    cfg = parse_hall(HALL)
    assert cfg.window(1).screen.bus == "floor2" and cfg.buses["floor1"].timeout_ms == 100


@pytest.mark.parametrize("old,new,words", [
    ('screen = { bus = "floor2", address = 1 }', 'screen = { bus = "floor1", address = 51 }',
     "address 51 on bus 'floor1' is already used by window 1 evaluator"),
    ("address = 51", "address = 0", "greater than or equal to 1"),
    ("address = 51", "address = 248", "less than or equal to 247"),
    ('evaluator = { bus = "floor1"', 'evaluator = { bus = "lobby"', "unknown bus 'lobby'"),
    ('url = "sim://floor2"', 'url = "sim://floor2"\nprotocol = "vendorx"', "protocol"),
])
def test_config_bus_errors(old, new, words):
    with pytest.raises(ConfigError) as e:
        parse_hall(HALL.replace(old, new, 1), "hall.toml")
    assert words in str(e.value)
    assert "hall.toml" in str(e.value)
