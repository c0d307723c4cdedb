"""`jiaohao queue issue A --print` and `jiaohao diag printer` as a user runs them, on sim:// printers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from config import DEMO_HALL


def run(tmp_path, *args, config=None):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "cli.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
           "JIAOHAO_SIM_PRINTS": str(tmp_path / "prints")}
    env.pop("JIAOHAO_CONFIG", None)
    pre = ["--config", str(config)] if config else []
    return subprocess.run([sys.executable, "-m", "jiaohao", *pre, *args], capture_output=True, text=True,
                          env=env, timeout=60)


def faulty_hall(tmp_path, status="paper_out"):
    text = Path(DEMO_HALL).read_text(encoding="utf-8")
    assert 'url = "sim://kiosk1"' in text
    path = tmp_path / "hall.toml"
    path.write_text(text.replace('url = "sim://kiosk1"', f'url = "sim://kiosk1?status={status}"'), encoding="utf-8")
    return path


def test_issue_with_print_prints_on_the_simulated_printer(tmp_path):
    p = run(tmp_path, "queue", "issue", "A", "--print", "--json")
    assert p.returncode == 0, p.stderr
    t = json.loads(p.stdout)
    assert (t["number"], t["status"]) == ("A001", "waiting")
    pngs = list((tmp_path / "prints" / "kiosk1").glob("*.png"))
    assert len(pngs) == 1 and str(pngs[0]) in p.stderr


def test_issue_with_print_on_a_printer_out_of_paper_issues_nothing(tmp_path):
    hall = faulty_hall(tmp_path)
    assert run(tmp_path, "queue", "issue", "B", config=hall).returncode == 0  # the hall's database exists
    p = run(tmp_path, "queue", "issue", "A", "--print", "--json", config=hall)
    assert p.returncode == 2
    assert "cannot print" in p.stderr and "no ticket issued" in p.stderr
    status = json.loads(run(tmp_path, "queue", "status", "--json", config=hall).stdout)
    assert {s["code"]: s["issued_today"] for s in status["services"]}["A"] == 0
    assert {s["code"]: s["waiting"] for s in status["services"]}["A"] == 0
    # the printer was asked first, so no number was used up
    assert json.loads(run(tmp_path, "queue", "issue", "A", "--json", config=hall).stdout)["number"] == "A001"


def test_diag_printer_test_page(tmp_path):
    p = run(tmp_path, "diag", "printer", "--test", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"]["level"] == "ok" and out["test_page"]["printed"] is True
    assert os.path.exists(out["test_page"]["png"])


def test_diag_printer_says_what_to_do(tmp_path):
    hall = faulty_hall(tmp_path, "cover_open")
    p = run(tmp_path, "diag", "printer", config=hall)
    assert p.returncode == 1
    assert "机盖打开" in p.stdout and "close the printer cover" in p.stdout
    check = json.loads(run(tmp_path, "diag", "check", "--json", config=hall).stdout)
    printer = [d for d in check["devices"] if d["device"].startswith("printer")]
    assert printer and printer[0]["ok"] is False and "cover" in printer[0]["fix"]


def test_a_print_that_fails_part_way_is_said_chinese_first(monkeypatch, tmp_path):
    """The ticket was issued, the print failed: it is cancelled, and the line says so in both languages."""
    import pytest

    from jiaohao.commands.printing import issue_printed
    from jiaohao.context import CommandError, Context
    from kiosk import printing
    from kiosk.printing import TicketNotPrinted

    def fails(self, service, **kwargs):
        raise TicketNotPrinted("打印中断", "the print was cut off", ticket=SimpleNamespace(number="A007"))
    monkeypatch.setattr(printing.TicketIssuer, "issue", fails)
    ctx = Context(db=str(tmp_path / "h.sqlite"))
    try:
        with pytest.raises(CommandError) as e:
            issue_printed(ctx, "A")
    finally:
        ctx.close()
    assert str(e.value) == ("A007 号票没有在 sim://kiosk1 上打印出来（打印中断），已作废 (A007 not printed on "
                            "sim://kiosk1 (the print was cut off); it is cancelled (print_failed))")
