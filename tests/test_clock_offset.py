"""hall/clock_offset.py: one measure of how far a client PC's clock is off (NTP-style
round trip, or the server's one-way estimate), and when it is flagged."""
from __future__ import annotations

import pytest

from config import load_hall, DEMO_HALL
from hall import clock_offset as co


def test_round_trip_measure_is_the_midpoint_minus_the_server_time():
    # client 300 s ahead; 40 ms there, 60 ms back: the server read 1000.040 of its clock
    t0 = 1300.0
    server = 1000.040
    t1 = 1300.100
    o = co.measure(t0, server, t1)
    assert o.offset_s == pytest.approx(300.01)
    assert o.uncertainty_s == pytest.approx(0.05)
    assert abs(o.offset_s - 300.0) <= o.uncertainty_s  # the true offset lies within the bound
    assert o.method == "round-trip"
    assert o.skewed(120) and not o.skewed(400)


def test_a_clock_stepping_back_mid_exchange_gives_no_negative_round_trip():
    o = co.measure(100.0, 50.0, 99.0)
    assert o.uncertainty_s == 0.0 and o.offset_s == 50.0


@pytest.mark.parametrize("offset, bound, flagged", [(-300.0, 120, True), (300.0, 120, True), (119.9, 120, False),
                                                    (None, 120, False), (5.0, 1, True)])
def test_is_skewed(offset, bound, flagged):
    assert co.is_skewed(offset, bound) is flagged


def test_server_time_of_a_client_moment():
    assert co.to_server_time(1300.0, 300.0) == 1000.0
    assert co.one_way(1300.0, 1000.0).to_server_time(1300.0) == 1000.0


def test_best_is_the_tighter_a_one_way_guess_counting_as_half_a_second():
    one = co.one_way(10.0, 5.0)
    rt_wide = co.ClockOffset(4.0, 0.5, 0.0)
    rt_tight = co.ClockOffset(4.1, 0.01, 0.0)
    rt_useless = co.ClockOffset(150.0, 150.0, 0.0)  # a clock stepped mid-exchange
    assert co.best(one, rt_wide) is rt_wide  # a tie: the round trip
    assert co.best(rt_wide, rt_tight) is rt_tight
    assert co.best(rt_useless, one) is one
    assert co.best(None, one) is one


def test_the_bound_comes_from_the_config_with_a_default(tmp_path):
    cfg = load_hall(DEMO_HALL)
    assert co.max_skew(cfg) == 120.0  # the demo hall has no [server]
    text = DEMO_HALL.read_text(encoding="utf-8") + '\n[server]\nlisten = "127.0.0.1:8080"\nmax_clock_skew_s = 30\n'
    p = tmp_path / "hall.toml"
    p.write_text(text, encoding="utf-8")
    assert co.max_skew(load_hall(p)) == 30.0
    assert load_hall(p).client.heartbeat_s == 10.0


@pytest.mark.parametrize("offset, words", [(None, "not measured"), (0.2, "in step"), (310.0, "+310.0 s ahead"),
                                           (-5.0, "-5.0 s behind")])
def test_describe(offset, words):
    assert co.describe(offset) == words
