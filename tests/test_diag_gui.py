"""The diagnostics panel (pytest-qt): check results with fixes, test buttons, figures."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from jiaohao.context import Context  # noqa: E402
from jiaohao.diag import CheckResult  # noqa: E402
from jiaohao.diag.gui import DiagnosticsPanel  # noqa: E402

RESULTS = [
    CheckResult("printer sim://kiosk1", True, "Printer ready"),
    CheckResult("bus floor1 address 5 (window 5 keypad)", False, "no answer at address 5 on bus floor1",
                "check that the keypad is powered and its address is 5"),
    CheckResult("voice espeak", True, "ready"),
]


@pytest.fixture
def ctx(demo_config, tmp_path):
    c = Context(db=str(tmp_path / "hall.sqlite"))
    c.__dict__["config"] = demo_config.model_copy(update={"voice": demo_config.voice.model_copy(
        update={"output": str(tmp_path / "voice")})})
    return c


def test_panel_shows_problems_first_with_their_fix(qtbot, ctx):
    panel = DiagnosticsPanel(ctx, checks=lambda c: list(RESULTS), figures=lambda c: None)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
    assert "FAIL" in panel.table.item(0, 0).text()
    assert panel.table.item(0, 1).text().startswith("5号窗口呼叫器 bus floor1 address 5")
    assert "powered" in panel.table.item(0, 3).text()
    assert panel.table.item(1, 3).text() == ""  # healthy devices need no fix
    assert "1 device(s) need attention" in panel.summary.text()
    assert panel.figures_note.text() == "报表部分未安装 (the reports part is not installed)"


def test_check_again_reruns_the_checks(qtbot, ctx):
    calls = []

    def checks(c):
        calls.append(1)
        return [CheckResult("printer", True, "ready")]

    panel = DiagnosticsPanel(ctx, checks=checks, figures=lambda c: None)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.busy == 0 and panel.table.rowCount() == 1, timeout=5000)
    panel.check_button.click()
    qtbot.waitUntil(lambda: len(calls) == 2 and panel.busy == 0, timeout=5000)
    assert "all 1 healthy" in panel.summary.text()


def test_test_buttons_drive_the_simulated_devices(qtbot, ctx):
    pytest.importorskip("drivers.windowbus")
    pytest.importorskip("drivers.printer")
    panel = DiagnosticsPanel(ctx, checks=lambda c: [], figures=lambda c: None)
    qtbot.addWidget(panel)
    panel.scan_button.click()
    qtbot.waitUntil(lambda: panel.busy == 0 and "devices answer" in panel.log.toPlainText(), timeout=20000)
    assert "36 个设备中 36 个有应答 (36 of 36 devices answer)" in panel.log.toPlainText()
    panel.print_button.click()
    qtbot.waitUntil(lambda: panel.busy == 0 and "test page" in panel.log.toPlainText(), timeout=20000)
    assert "正常 (OK)   测试页已在 sim://kiosk1 上打印 (test page printed on sim://kiosk1)" in panel.log.toPlainText()


def test_figures_from_the_reports_part(qtbot, ctx):
    figures = {"day": "2026-11-23", "now": "2026-11-23T10:05:00", "issued": 120, "served": 80,
               "waiting_now": 14, "no_show": 3, "wait": {"n": 80, "mean_s": 540.0},
               "longest_wait_now_s": 1500.0, "satisfaction": 0.93, "rated": 60,
               "windows": {"idle": 2, "serving": 9, "paused": 1, "closed": 0}}
    panel = DiagnosticsPanel(ctx, checks=lambda c: [], figures=lambda c: figures)
    qtbot.addWidget(panel)
    panel.refresh_figures()
    assert panel.figure_labels["issued"].text() == "120"
    assert panel.figure_labels["wait"].text().startswith("9.0")
    assert panel.figure_labels["satisfaction"].text().startswith("93%")
    assert panel.figure_labels["windows"].text() == "空闲 2，办理中 9，暂停 1，关闭 0 (idle 2, serving 9, paused 1, closed 0)"


def test_real_today_summary_when_reports_landed(qtbot, ctx, monkeypatch):
    pytest.importorskip("hall.reports")
    from hall.reports import today_summary  # noqa: F401
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T09:00")
    ctx.queue.issue("A")
    ctx.queue.issue("B")
    ctx.queue.call_next(1)
    panel = DiagnosticsPanel(ctx, checks=lambda c: [])
    qtbot.addWidget(panel)
    panel.refresh_figures()
    assert panel.figure_labels["issued"].text() == "2"
    assert panel.figure_labels["waiting_now"].text() == "1"


def test_list_ports_button(qtbot, ctx):
    panel = DiagnosticsPanel(ctx, checks=lambda c: [], figures=lambda c: None)
    qtbot.addWidget(panel)
    panel.ports_button.click()
    qtbot.waitUntil(lambda: panel.busy == 0 and "Serial ports" in panel.log.toPlainText(), timeout=10000)
    assert "模拟器，在 jiaohao 内运行 (simulator, runs inside jiaohao)" in panel.log.toPlainText()
