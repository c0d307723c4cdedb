"""`jiaohao diag --gui`: the diagnostics panel for technicians.

One window: every ``diag check`` result with its fix (red rows first), test buttons
per device (print a test page, say a text, show a text on a window screen or LED
board, scan a window bus), and today's figures of the hall when the reports part is
installed. Checks and tests run in worker threads so a dead device never freezes the
panel; their results come back through a Qt signal.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from . import FAIL_TAG, OK_TAG, CheckResult, device_zh
from . import actions

log = logging.getLogger(__name__)

OK_BG, FAIL_BG = QColor("#e8f5e9"), QColor("#ffebee")


class _Relay(QObject):
    """Carries results from worker threads to the GUI thread."""

    checks_done = Signal(object)          # list[CheckResult]
    action_done = Signal(str, object)     # label, ActionResult


def default_checks(ctx) -> list[CheckResult]:
    from jiaohao.commands.diag_cmd import run_checks
    return run_checks(ctx)


def today_figures(ctx) -> dict | None:
    """``hall.reports.today_summary`` of the hall's queue, or None when reports are not installed."""
    try:
        from hall.reports import today_summary
    except ImportError:
        return None
    return today_summary(ctx.queue)


def _minutes(seconds) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} 分钟 min"


class DiagnosticsPanel(QWidget):
    """The panel. ``checks(ctx)`` and ``figures(ctx)`` are injectable for tests."""

    def __init__(self, ctx, checks: Callable = default_checks, figures: Callable = today_figures,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.config = ctx.config
        self._checks = checks
        self._figures = figures
        self.results: list[CheckResult] = []
        self.relay = _Relay()
        self.relay.checks_done.connect(self._show_results)
        self.relay.action_done.connect(self._show_action)
        self.busy = 0
        self.setWindowTitle(f"设备诊断 Diagnostics — {self.config.hall.name}")
        self.resize(1180, 820)
        self._build()
        self.figures_timer = QTimer(self)
        self.figures_timer.timeout.connect(self.refresh_figures)
        self.figures_timer.start(10_000)

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(f"<b>{self.config.hall.name}</b> 设备诊断 Device diagnostics<br>"
                       f"<small>{self.ctx.config_path}</small>")
        head.addWidget(title, 1)
        self.summary = QLabel("正在检查… checking…")
        f = QFont(self.summary.font())
        f.setPointSize(f.pointSize() + 3)
        f.setBold(True)
        self.summary.setFont(f)
        head.addWidget(self.summary)
        self.ports_button = QPushButton("列出端口 List ports")
        self.ports_button.clicked.connect(lambda: self.run_action("ports", actions.list_ports, self.config))
        head.addWidget(self.ports_button)
        self.check_button = QPushButton("重新检查 Check again")
        self.check_button.clicked.connect(self.refresh)
        head.addWidget(self.check_button)
        root.addLayout(head)

        split = QSplitter(Qt.Vertical)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["状态 State", "设备 Device", "情况 What is wrong", "处理 Fix to try"])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        hdr.setSectionResizeMode(1, QHeaderView.Interactive)
        hdr.setSectionResizeMode(2, QHeaderView.Stretch)
        hdr.setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.setColumnWidth(1, 260)
        split.addWidget(self.table)

        lower = QWidget()
        grid = QHBoxLayout(lower)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._tests_box(), 3)
        grid.addWidget(self._figures_box(), 2)
        split.addWidget(lower)

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        mono = QFont("Monospace")
        mono.setStyleHint(QFont.TypeWriter)
        self.log.setFont(mono)
        self.log.setPlaceholderText("测试结果 Test results appear here")
        split.addWidget(self.log)
        split.setSizes([330, 280, 160])
        root.addWidget(split, 1)

    def _tests_box(self) -> QGroupBox:
        box = QGroupBox("测试 Tests")
        g = QGridLayout(box)
        row = 0
        self.print_button = QPushButton("打印测试页 Print test page")
        self.print_button.clicked.connect(lambda: self.run_action(
            "printer", actions.print_test_page, self.config))
        g.addWidget(QLabel(f"打印机 Printer<br><small>{self.config.printer.url}</small>"), row, 0)
        g.addWidget(self.print_button, row, 1, 1, 3)
        row += 1
        self.say_text = QLineEdit(self._sample_call())
        self.say_button = QPushButton("播放 Say")
        self.say_button.clicked.connect(lambda: self.run_action(
            "voice", actions.say, self.config, self.say_text.text()))
        g.addWidget(QLabel(f"语音 Voice<br><small>{self.config.voice.engine}</small>"), row, 0)
        g.addWidget(self.say_text, row, 1, 1, 2)
        g.addWidget(self.say_button, row, 3)
        row += 1
        buses = list(self.config.buses)
        self.bus_combo = QComboBox()
        self.bus_combo.addItems(buses)
        self.scan_button = QPushButton("扫描总线 Scan bus")
        self.scan_button.setEnabled(bool(buses))
        self.scan_button.clicked.connect(lambda: self.run_action(
            "bus", actions.scan_bus, self.config, self.bus_combo.currentText()))
        g.addWidget(QLabel("窗口总线 Window bus"), row, 0)
        g.addWidget(self.bus_combo, row, 1, 1, 2)
        g.addWidget(self.scan_button, row, 3)
        row += 1
        self.screen_address = QSpinBox()
        self.screen_address.setRange(1, 247)
        first = next((w.screen for w in self.config.windows if w.screen is not None), None)
        self.screen_address.setValue(first.address if first else 1)
        self.screen_text = QLineEdit("测试 TEST 0123")
        self.screen_button = QPushButton("显示 Show")
        self.screen_button.setEnabled(bool(buses))
        self.screen_button.clicked.connect(lambda: self.run_action(
            "window screen", actions.show_on_window_screen, self.config, self.bus_combo.currentText(),
            self.screen_address.value(), self.screen_text.text(), "诊断测试 diagnostics"))
        g.addWidget(QLabel("窗口屏 Window screen<br><small>地址 address</small>"), row, 0)
        g.addWidget(self.screen_address, row, 1)
        g.addWidget(self.screen_text, row, 2)
        g.addWidget(self.screen_button, row, 3)
        row += 1
        self.board_combo = QComboBox()
        self.board_combo.addItems([b.name or b.url for b in self.config.boards])
        self.board_text = QLineEdit("测试 TEST|欢迎光临")
        self.board_button = QPushButton("显示 Show")
        self.board_button.setEnabled(bool(self.config.boards))
        self.board_button.clicked.connect(lambda: self.run_action(
            "LED board", actions.show_on_board, self.config, max(0, self.board_combo.currentIndex()),
            self.board_text.text()))
        g.addWidget(QLabel("LED 条屏 LED board"), row, 0)
        g.addWidget(self.board_combo, row, 1)
        g.addWidget(self.board_text, row, 2)
        g.addWidget(self.board_button, row, 3)
        g.setColumnStretch(2, 1)
        return box

    def _figures_box(self) -> QGroupBox:
        box = QGroupBox("今日数据 Today")
        self.figures_form = QFormLayout(box)
        self.figure_labels: dict[str, QLabel] = {}
        for key, label in [("issued", "取号 Issued"), ("served", "办结 Served"), ("waiting_now", "等候 Waiting"),
                           ("no_show", "过号 No-shows"), ("wait", "平均等候 Mean wait"),
                           ("longest_wait_now_s", "最长等候 Longest now"),
                           ("satisfaction", "满意率 Satisfaction"), ("windows", "窗口 Windows")]:
            value = QLabel("-")
            self.figure_labels[key] = value
            self.figures_form.addRow(label, value)
        self.figures_note = QLabel("")
        self.figures_note.setWordWrap(True)
        self.figures_form.addRow(self.figures_note)
        return box

    def _sample_call(self) -> str:
        try:
            from drivers.tts.reading import call_text
            return call_text(self.config.voice, "A023", 5)
        except Exception:  # noqa: BLE001 - any readable sentence will do
            return "请A零二三号到五号窗口办理"

    # -- checks ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Run every check again in a worker thread."""
        self.check_button.setEnabled(False)
        self.summary.setText("正在检查… checking…")
        self.summary.setStyleSheet("")
        self.busy += 1

        def work():
            try:
                results = self._checks(self.ctx)
            except Exception as e:  # noqa: BLE001 - shown, not raised
                log.exception("diagnostics checks")
                results = [CheckResult("diagnostics", False, f"检查本身出错了 (the checks failed): {e}",
                                       "请报告给供应商 (report this to the supplier)")]
            self.relay.checks_done.emit(results)

        threading.Thread(target=work, name="diag-checks", daemon=True).start()

    def _show_results(self, results: list[CheckResult]) -> None:
        self.busy -= 1
        self.results = sorted(results, key=lambda r: r.ok)  # problems first
        self.table.setRowCount(len(self.results))
        for row, r in enumerate(self.results):
            name = f"{device_zh(r.device)} {r.device}".strip()
            cells = ["✔ " + OK_TAG.strip() if r.ok else "✘ " + FAIL_TAG, name, r.detail, r.fix if not r.ok else ""]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setBackground(OK_BG if r.ok else FAIL_BG)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        bad = sum(not r.ok for r in self.results)
        if bad:
            self.summary.setText(f"{bad} 个设备有问题 {bad} device(s) need attention")
            self.summary.setStyleSheet("color: #c62828")
        else:
            self.summary.setText(f"全部正常 all {len(self.results)} healthy")
            self.summary.setStyleSheet("color: #2e7d32")
        self.check_button.setEnabled(True)

    # -- tests -----------------------------------------------------------------------
    def run_action(self, label: str, fn, *args) -> None:
        """Run a test action in a worker thread; its result goes to the log."""
        self.log.appendPlainText(f"… {label}")
        self.busy += 1

        def work():
            try:
                result = fn(*args)
            except Exception as e:  # noqa: BLE001
                log.exception("diagnostics action %s", label)
                result = actions.ActionResult(False, f"{label}: {e}")
            self.relay.action_done.emit(label, result)

        threading.Thread(target=work, name=f"diag-{label}", daemon=True).start()

    def _show_action(self, label: str, result) -> None:
        self.busy -= 1
        text = result.line()
        if result.files:
            text += "\n     " + "\n     ".join(result.files)
        self.log.appendPlainText(text)

    # -- figures ---------------------------------------------------------------------
    def refresh_figures(self) -> None:
        try:
            figures = self._figures(self.ctx)
        except Exception as e:  # noqa: BLE001 - a locked or missing database is not fatal here
            self.figures_note.setText(f"今日数据不可用 (figures unavailable): {e}")
            return
        if figures is None:
            self.figures_note.setText("报表部分未安装 (the reports part is not installed)")
            return
        self.figures_note.setText(f"{figures.get('day', '')} {str(figures.get('now', ''))[11:16]}")
        wait = figures.get("wait") or {}
        sat = figures.get("satisfaction")
        windows = figures.get("windows") or {}
        values = {
            "issued": figures.get("issued"), "served": figures.get("served"),
            "waiting_now": figures.get("waiting_now"), "no_show": figures.get("no_show"),
            "wait": _minutes(wait.get("mean_s")) if isinstance(wait, dict) else "-",
            "longest_wait_now_s": _minutes(figures.get("longest_wait_now_s")),
            "satisfaction": "-" if sat is None else f"{sat:.0%} ({figures.get('rated', 0)} 评价 ratings)",
            "windows": _window_states(windows),
        }
        for key, value in values.items():
            self.figure_labels[key].setText("-" if value is None else str(value))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self.results and self.busy == 0:
            self.refresh()
            self.refresh_figures()


def run(ctx) -> int:
    """Open the panel and run until it is closed."""
    app = QApplication.instance() or QApplication([])
    panel = DiagnosticsPanel(ctx)
    panel.show()
    return app.exec()


WINDOW_STATES_ZH = {"idle": "空闲", "serving": "办理中", "paused": "暂停", "closed": "关闭"}


def _window_states(counts: dict) -> str:
    """``空闲 2，办理中 9，暂停 1，关闭 0 (idle 2, serving 9, paused 1, closed 0)``."""
    if not counts:
        return "-"
    zh = "，".join(f"{WINDOW_STATES_ZH.get(k, k)} {v}" for k, v in counts.items())
    return f"{zh} ({', '.join(f'{k} {v}' for k, v in counts.items())})"
