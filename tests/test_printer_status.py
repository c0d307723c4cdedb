"""DLE EOT status: each answer parsed (pure table), then the real driver against the simulator over a pty."""
from __future__ import annotations

import uuid

import pytest

from drivers.printer import PrinterSimulator, TicketPrinter, interpret
from drivers.printer.status import PrinterStatus, answers_for, status_query, valid_answer
from drivers.transport import register_sim, unregister_sim


@pytest.mark.parametrize("answers, level, cause, ok", [
    ({1: 0x12, 4: 0x12}, "ok", "", True),
    ({1: 0x12, 4: 0x1E}, "near_end", "", True),                       # near-end sensor bits 2-3
    ({1: 0x12, 4: 0x16}, "near_end", "", True),                       # only one near-end sensor
    ({1: 0x12, 4: 0x72}, "paper_out", "", False),                     # online yet paper-end sensor
    ({1: 0x1A, 2: 0x32, 4: 0x7E}, "paper_out", "", False),            # offline, stopped at paper end
    ({1: 0x1A, 2: 0x16, 4: 0x12}, "cover_open", "", False),
    ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, "offline", "cutter", False),
    ({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}, "offline", "fatal", False),
    ({1: 0x1A, 2: 0x52, 3: 0x52, 4: 0x12}, "offline", "overheat", False),
    ({1: 0x1A, 2: 0x1A, 4: 0x12}, "offline", "feeding", False),       # FEED button held
    ({1: 0x1A, 2: 0x12, 4: 0x12}, "offline", "", False),              # offline, no reason given
    ({1: None}, "offline", "no_answer", False),
    ({1: 0xFF, 4: 0x12}, "offline", "garbled", False),                # fixed bits wrong
    ({1: 0x12, 4: 0x00}, "offline", "garbled", False),
])
def test_interpret_dle_eot_answers(answers, level, cause, ok):
    st = interpret(answers)
    assert (st.level, st.cause, st.ok) == (level, cause, ok)
    assert st.message_zh and st.message_en


@pytest.mark.parametrize("n, expected", [(1, b"\x10\x04\x01"), (2, b"\x10\x04\x02"),
                                         (3, b"\x10\x04\x03"), (4, b"\x10\x04\x04")])
def test_status_query_bytes(n, expected):
    assert status_query(n) == expected


def test_status_query_range():
    with pytest.raises(ValueError):
        status_query(5)


@pytest.mark.parametrize("byte, valid", [(0x12, True), (0x1A, True), (0x7E, True), (0x13, False),
                                         (0x92, False), (0x02, False), (0x10, False)])
def test_fixed_bits(byte, valid):
    assert valid_answer(byte) is valid


@pytest.mark.parametrize("level, cause", [("ok", ""), ("near_end", ""), ("paper_out", ""), ("cover_open", ""),
                                          ("offline", ""), ("offline", "cutter"), ("offline", "overheat")])
def test_simulator_table_reads_back_as_its_level(level, cause):
    st = interpret(answers_for(level, cause))
    assert (st.level, st.cause) == (level, cause or ("no_answer" if level == "offline" else ""))


def test_messages_in_plain_chinese_and_english():
    st = PrinterStatus.of("paper_out")
    assert "纸" in st.message_zh and "paper" in st.message_en.lower()
    assert st.to_json()["level"] == "paper_out"


@pytest.fixture
def sim_url():
    name = f"ptest-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator()
    register_sim(name, sim)
    yield sim, f"sim://{name}"
    unregister_sim(name)


@pytest.mark.parametrize("level, cause, expected_cause", [
    ("ok", "", ""), ("near_end", "", ""), ("paper_out", "", ""), ("cover_open", "", ""),
    ("offline", "", "no_answer"), ("offline", "cutter", "cutter"),
])
def test_driver_reads_each_status_from_the_simulator(sim_url, level, cause, expected_cause):
    sim, url = sim_url
    sim.set_status(level, cause)
    printer = TicketPrinter(url, timeout_s=0.3)
    try:
        st = printer.status()
    finally:
        printer.close()
    assert (st.level, st.cause) == (level, expected_cause)
    assert sim.status_queries >= 1


def test_status_of_an_unreachable_printer_is_offline_not_an_exception():
    st = TicketPrinter("serial:///dev/does-not-exist-42", timeout_s=0.2).status()
    assert (st.level, st.cause, st.ok) == ("offline", "no_connection", False)
    assert "does-not-exist-42" in st.detail


def test_plain_file_cannot_read_status_and_is_assumed_ready(tmp_path):
    out = tmp_path / "printer.bin"
    printer = TicketPrinter(f"file://{out}", timeout_s=0.2)
    st = printer.status()
    assert (st.ok, st.checked, st.cause) == (True, False, "unchecked")
    printer.send_job(b"\x1b@hello\n\x1dV\x00")
    printer.close()
    assert out.read_bytes() == b"\x1b@hello\n\x1dV\x00"
