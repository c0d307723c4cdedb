"""The window-bus simulator answers as a conforming Modbus RTU slave, checked byte by byte
and by an independent master (pymodbus), and the character-format rules of the bus.

Every rule sits in a table with the document it comes from:

- MB-APP: Modbus Application Protocol Specification V1.1b3 (modbus.org), section 7
  "exception responses" and the request checks of sections 6.3, 6.4, 6.12;
- MB-SL: Modbus over Serial Line Specification and Implementation Guide V1.02
  (modbus.org), sections 2.5.1 (RTU character format) and 2.5.1.1 (t3.5);
- WB: shared/protocols/window-bus.md (the project's register map and wire budget).
"""
from __future__ import annotations

import time

import pytest
import serial

from drivers.windowbus import BusSimulator, budget, rtu

pymodbus = pytest.importorskip("pymodbus", reason="pymodbus (the test extra) is the independent master")
from pymodbus.client import ModbusSerialClient  # noqa: E402
from pymodbus.framer.rtu import FramerRTU  # noqa: E402
from pymodbus.pdu import DecodePDU  # noqa: E402


@pytest.fixture
def sim():
    s = BusSimulator(baud=9600)
    s.add_keypad(1)
    s.add_screen(101)
    s.start()
    yield s
    s.stop()


def exchange(path: str, request: bytes, wait: float = 0.3, length: int | None = None) -> bytes:
    """Send ``request`` on the bus; every byte that comes back within ``wait`` (or the first
    ``length`` bytes, as soon as they are there)."""
    # a pty carries bytes, not characters: 8N1 here whatever the simulated format
    with serial.serial_for_url(path, baudrate=9600, timeout=0.005) as port:
        port.write(request)
        out, deadline = b"", time.monotonic() + wait
        while time.monotonic() < deadline and (length is None or len(out) < length):
            out += port.read(64 if length is None else length - len(out))
        return out


# request and exact reply without their CRCs (pymodbus's own framer adds them), the rule, its source
SLAVE_RULES = [
    ("01 01 00 00 00 01", "01 81 01", "function 01 (read coils) not supported: exception 01", "MB-APP 7"),
    ("01 02 00 00 00 01", "01 82 01", "function 02 (read discrete inputs): exception 01", "MB-APP 7"),
    ("01 05 00 00 ff 00", "01 85 01", "function 05 (write single coil): exception 01", "MB-APP 7"),
    ("01 11", "01 91 01", "function 17 (report server ID), a frame ended by silence: exception 01",
     "MB-APP 7, MB-SL 2.5.1.1"),
    ("01 04 00 02 00 00", "01 84 03", "function 04, quantity 0: exception 03", "MB-APP 6.4"),
    ("01 04 00 02 00 7e", "01 84 03", "function 04, quantity 126: exception 03", "MB-APP 6.4"),
    ("01 03 01 00 00 7e", "01 83 03", "function 03, quantity 126: exception 03 (not 02)", "MB-APP 6.3"),
    ("01 03 01 00 00 00", "01 83 03", "function 03, quantity 0: exception 03", "MB-APP 6.3"),
    ("01 10 01 00 00 02 02 00 01", "01 90 03", "function 16, byte count not 2 x quantity: exception 03",
     "MB-APP 6.12"),
    ("01 04 00 10 00 01", "01 84 02", "function 04 outside 0x0000-0x0004: exception 02", "MB-APP 6.4, WB"),
    ("01 03 00 00 00 01", "01 83 02", "function 03 outside the holding block: exception 02", "MB-APP 6.3, WB"),
    ("01 04 00 00 00 02", "01 04 04 00 01 00 01", "kind 1 (keypad), protocol version 1", "WB"),
    ("00 01 00 00 00 01", "", "a broadcast is never answered", "MB-SL 2.1"),
    ("07 04 00 02 00 03", "", "nothing at address 7: no answer", "MB-SL 2.1"),
]


@pytest.mark.parametrize("request_hex,reply_hex,rule,source", SLAVE_RULES,
                         ids=[r[2] for r in SLAVE_RULES])
def test_the_simulator_answers_as_the_spec_asks(sim, request_hex, reply_hex, rule, source):
    framer = FramerRTU(DecodePDU(False))
    body, reply = bytes.fromhex(request_hex), bytes.fromhex(reply_hex)
    frame = framer.encode(body[1:], body[0], 0)
    expected = framer.encode(reply[1:], reply[0], 0) if reply else b""
    assert exchange(sim.path, frame).hex(" ") == expected.hex(" "), f"{rule} ({source})"


@pytest.fixture
def client(sim):
    c = ModbusSerialClient(port=sim.path, baudrate=9600, parity="N", timeout=0.5, retries=0)
    assert c.connect()
    yield c
    c.close()


def test_pymodbus_reads_and_writes_the_register_map(sim, client):
    kp = sim.keypad(1)
    kp.press("CALL")
    r = client.read_input_registers(0, count=5, device_id=1)
    assert not r.isError() and r.registers == [1, 1, 1, 1, 0]     # keypad, v1, seq 1, CALL, no argument
    r = client.write_registers(0x0100, [1, 2, 3, 0] + [0] * 16, device_id=1)
    assert not r.isError()
    assert kp.display.ack_seq == 1 and kp.display.state == "serving" and kp.display.waiting == 3
    assert not kp.pending and kp.beeps == 1
    r = client.read_holding_registers(0x0100, count=2, device_id=1)
    assert r.registers == [1, 2]
    r = client.read_input_registers(0, count=1, device_id=101)
    assert r.registers == [4]                                      # a window screen


def test_a_press_between_the_read_and_the_acknowledgement_still_beeps(sim, client):
    """The master read sequence 1 and acts; staff press again before its acknowledgement
    lands: 1 beeps, and 2, acknowledged next, beeps too (each press acted on, one beep)."""
    kp = sim.keypad(1)
    kp.press("CALL")
    assert client.read_input_registers(0, count=5, device_id=1).registers[2] == 1
    kp.press("CALL")
    assert not client.write_registers(0x0100, [1] + [0] * 19, device_id=1).isError()
    assert kp.beeps == 1 and kp.pending                            # 2 is still latched
    assert not client.write_registers(0x0100, [2] + [0] * 19, device_id=1).isError()
    assert kp.beeps == 2 and not kp.pending
    assert not client.write_registers(0x0100, [2] + [0] * 19, device_id=1).isError()
    assert kp.beeps == 2                                           # the same block again: no beep


@pytest.mark.parametrize("call,code", [
    (lambda c: c.read_coils(0, count=1, device_id=1), 1),
    (lambda c: c.read_discrete_inputs(0, count=1, device_id=1), 1),
    (lambda c: c.write_coil(0, True, device_id=1), 1),
    (lambda c: c.read_input_registers(0x0010, count=1, device_id=1), 2),
    (lambda c: c.read_holding_registers(0x0200, count=1, device_id=1), 2),   # a keypad has no screen block
    (lambda c: c.write_registers(0x0100, [0] * 20, device_id=101), 2),       # a screen has no keypad block
], ids=["fc01", "fc02", "fc05", "fc04-address", "fc03-address", "fc16-address"])
def test_pymodbus_gets_the_exception_the_spec_names(sim, client, call, code):
    r = call(client)
    assert r.isError() and r.exception_code == code


# bits per character and the 3.5-character silence, with their sources
FORMAT_RULES = [
    ("E", 1, 11, "8E1: start + 8 data + even parity + 1 stop", "MB-SL 2.5.1"),
    ("O", 1, 11, "8O1", "MB-SL 2.5.1"),
    ("N", 2, 11, "8N2: no parity takes 2 stop bits", "MB-SL 2.5.1"),
    ("N", 1, 10, "8N1, for devices set that way", "WB"),
]


@pytest.mark.parametrize("parity,stopbits,bits,rule,source", FORMAT_RULES, ids=[r[3] for r in FORMAT_RULES])
def test_character_length(parity, stopbits, bits, rule, source):
    assert budget.char_bits(parity, stopbits) == bits, f"{rule} ({source})"


WIRE_RULES = [  # (baud, bits, what, expected ms, source)
    (9600, 11, "poll wire time (8 + 11 bytes)", 21.8, "WB Wire budget"),
    (9600, 10, "poll wire time", 19.8, "WB Wire budget"),
    (19200, 11, "poll wire time", 10.9, "WB Wire budget"),
    (115200, 11, "poll wire time", 1.8, "WB Wire budget"),
    (9600, 11, "3.5-character gap", 4.0, "WB Wire budget, MB-SL 2.5.1.1"),
    (9600, 10, "3.5-character gap", 3.6, "MB-SL 2.5.1.1"),
    (19200, 11, "3.5-character gap", 2.0, "MB-SL 2.5.1.1"),
    (38400, 11, "3.5-character gap", 1.75, "MB-SL 2.5.1.1: fixed above 19200 baud"),
    (115200, 10, "3.5-character gap", 1.75, "MB-SL 2.5.1.1"),
]


@pytest.mark.parametrize("baud,bits,what,ms,source", WIRE_RULES)
def test_wire_time_and_gap(baud, bits, what, ms, source):
    got = (budget.wire_s(budget.POLL_REQUEST + budget.POLL_REPLY, baud, bits) if what.startswith("poll")
           else budget.frame_gap_s(baud, bits))
    assert round(got * 1000, 2 if ms == 1.75 else 1) == ms, f"{what} at {baud} baud, {bits} bits ({source})"


def test_the_master_keeps_the_gap_of_its_format(sim):
    from drivers.windowbus import RtuMaster
    from drivers.transport import register_sim, unregister_sim
    register_sim("conformance-gap", sim)
    try:
        for parity, stopbits, gap_ms in (("E", 1, 4.01), ("N", 1, 3.65), ("N", 2, 4.01)):
            m = RtuMaster("sim://conformance-gap", 9600, 0.1, parity=parity, stopbits=stopbits)
            assert round(m.gap_s * 1000, 2) == gap_ms
            start = time.perf_counter()
            for _ in range(5):
                m.read_input(1, 2, 3)
            assert time.perf_counter() - start >= 4 * m.gap_s    # the silence is kept between frames
            m.close()
    finally:
        unregister_sim("conformance-gap")


def test_the_simulator_takes_the_wire_time_of_its_format():
    for parity, stopbits, bits in (("E", 1, 11), ("N", 1, 10)):
        s = BusSimulator(baud=9600, wire_time=True, parity=parity, stopbits=stopbits, turnaround_s=0.0)
        s.add_keypad(1)
        s.start()
        try:
            times = []
            with serial.serial_for_url(s.path, baudrate=9600, timeout=0.5) as port:
                for _ in range(5):
                    t = time.perf_counter()
                    port.write(rtu.read_request(1, rtu.READ_INPUT, 2, 3))
                    assert len(port.read(11)) == 11
                    times.append(time.perf_counter() - t)
                    time.sleep(0.01)
            # request and reply on the wire: 21.8 ms at 8E1, 19.8 ms at 8N1
            assert budget.wire_s(19, 9600, bits) <= min(times) < budget.wire_s(19, 9600, bits) + 0.0015
        finally:
            s.stop()
