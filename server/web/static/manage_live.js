/* The live hall: polls /api/v1/manage/live each second, draws windows, services, devices
   and alarms, says how old the figures are (and greys them when the link is cut), beeps on
   a new alarm, and sends a manager's actions with their reason. No outside code. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  var EN = root.dataset.lang === "en";
  var POLL_MS = 1000, STALE_S = 5;
  function t(zh, en) { return EN ? en : zh; }
  var STATE = { serving: t("办理中", "serving"), idle: t("空闲", "idle"), paused: t("暂停", "paused"),
                closed: t("关闭", "closed") };
  var KIND = { keypad: t("呼叫器", "keypads"), evaluator: t("评价器", "evaluators"), screen: t("窗口屏", "window screens"),
               board: t("LED 屏", "boards"), voice: t("语音", "voice"), printer: t("打印机", "printers"),
               kiosk: t("取号机", "kiosks"), caller: t("软件呼叫器", "callers"), controller: t("控制机", "controllers") };
  var openDevices = false;
  var PAUSE_EN = { away: "away", lunch: "lunch", meeting: "meeting" };
  var last = null, lastOk = 0, offset = 0, seenAlarms = null, soundOn = false, audio = null;
  window.manageBeeps = 0;  // alarms signalled (tests read it; the sound needs a click first)
  window.manageView = function () { return last; };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function hhmm(ts) {
    if (!ts) return "";
    var d = new Date(ts * 1000);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  function serverNow() { return (Date.now() + offset) / 1000; }
  function minutes(since) {
    if (!since) return "";
    var m = Math.max(0, Math.floor((serverNow() - since) / 60));
    return m < 60 ? m + t(" 分", " min") : Math.floor(m / 60) + t(" 时 ", " h ") + (m % 60) + t(" 分", " min");
  }
  function key() { return Date.now().toString(36) + Math.random().toString(36).slice(2); }

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin", cache: "no-store",
      headers: { "X-Jiaohao-Page": "1", "Content-Type": "application/json", "Idempotency-Key": key() },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var e = data && data.error ? (EN ? data.error.message_en : data.error.message) : ("HTTP " + r.status);
          throw new Error(e);
        }
        return data;
      });
    });
  }

  // -- drawing ---------------------------------------------------------------------------
  function alarmWindows(view) {
    var out = {};
    view.alarms.forEach(function (a) { if (a.window) out[a.window] = true; });
    return out;
  }

  function drawWindows(view) {
    var box = $("windows"), flagged = alarmWindows(view), counts = { serving: 0, idle: 0, paused: 0, closed: 0 };
    box.textContent = "";
    view.windows.forEach(function (w) {
      counts[w.state] = (counts[w.state] || 0) + 1;
      var b = el("button", "m-win " + w.state + (flagged[w.number] ? " alarm" : ""));
      b.type = "button";
      b.dataset.window = w.number;
      var head = el("div");
      head.appendChild(el("span", "n", w.number + " "));
      var paused = EN ? PAUSE_EN[w.pause_reason] : w.pause_label;
      head.appendChild(el("span", "tag " + w.state, w.state === "paused" && paused ? paused : STATE[w.state]));
      b.appendChild(head);
      b.appendChild(el("div", "cur", w.current || (w.state === "idle" && w.waiting ? t("等候 ", "waiting ") + w.waiting : "—")));
      b.appendChild(el("div", "muted", (w.staff_name || w.staff || t("无人登录", "nobody logged in"))));
      b.appendChild(el("div", "muted", w.state_since ? t("已 ", "for ") + minutes(w.state_since) : "—"));
      b.appendChild(el("div", "muted", t("今日 ", "today ") + w.served_today + t(" 件", "") +
        (w.avg_handling_minutes !== null ? t(" · 均 ", " · avg ") + w.avg_handling_minutes + t(" 分", " min") : "")));
      b.addEventListener("click", function () { windowDialog(w); });
      box.appendChild(b);
    });
    $("win-summary").textContent = t("办理中 ", "serving ") + counts.serving + t(" · 空闲 ", " · idle ") + counts.idle +
      t(" · 暂停 ", " · paused ") + counts.paused + t(" · 关闭 ", " · closed ") + counts.closed;
  }

  function drawServices(view) {
    var body = $("services");
    body.textContent = "";
    view.services.forEach(function (s) {
      var longest = s.oldest_issued_at ? Math.floor((serverNow() - s.oldest_issued_at) / 60) : null;
      var over = (s.limits.max_waiting !== null && s.waiting > s.limits.max_waiting) ||
                 (s.limits.max_wait_minutes !== null && longest !== null && longest > s.limits.max_wait_minutes);
      var tr = el("tr", s.stopped ? "stopped" : (over ? "over" : ""));
      tr.dataset.service = s.code;
      var name = el("td", "", (EN && s.name_en ? s.name_en : s.name));
      if (s.stopped) { name.appendChild(el("div", "tag bad", t("暂停取号：", "stopped: ") + s.stopped)); }
      else if (!s.open_now) { name.appendChild(el("span", "muted", t(" （未到办理时间）", " (closed now)"))); }
      tr.appendChild(name);
      tr.appendChild(el("td", "num", s.waiting));
      tr.appendChild(el("td", "num", longest === null ? "—" : longest + t(" 分", " min")));
      tr.appendChild(el("td", "num", s.wait_minutes + t(" 分", " min")));
      tr.appendChild(el("td", "num", s.issued_today + (s.daily_cap ? " / " + s.daily_cap : "")));
      var td = el("td", "m-actions-only");
      var b = el("button", "plain small", s.stopped ? t("恢复取号", "Restart") : t("暂停取号", "Stop issuing"));
      b.type = "button";
      b.addEventListener("click", function () { serviceDialog(s); });
      td.appendChild(b);
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  function drawDevices(view) {
    // the ones in trouble each on a line; the healthy ones counted by kind, listed on demand
    var ul = $("devices"), bad = 0, fine = {}, fineList = [];
    ul.textContent = "";
    view.devices.forEach(function (d) {
      if (d.ok) { fine[d.kind] = (fine[d.kind] || 0) + 1; fineList.push(d); return; }
      bad++;
      var li = el("li");
      li.appendChild(el("span", "tag bad", t("离线", "offline")));
      li.appendChild(document.createTextNode(" " + d.label + (d.since ? t(" · 自 ", " · since ") + hhmm(d.since) : "") +
        (d.detail ? " · " + d.detail : "")));
      ul.appendChild(li);
    });
    if (fineList.length) {
      var li = el("li"), details = el("details"), summary = el("summary");
      summary.appendChild(el("span", "tag ok", t("正常", "OK")));
      summary.appendChild(document.createTextNode(" " + Object.keys(fine).map(function (k) {
        return (KIND[k] || k) + " " + fine[k]; }).join(t("，", ", "))));
      details.appendChild(summary);
      if (openDevices) details.open = true;
      details.addEventListener("toggle", function () { openDevices = details.open; });
      var inner = el("ul", "m-devices");
      fineList.forEach(function (d) { inner.appendChild(el("li", "", d.label + (d.since ? " · " + hhmm(d.since) : ""))); });
      details.appendChild(inner);
      li.appendChild(details);
      ul.appendChild(li);
    }
    (view.webhooks || []).forEach(function (w) {  // the outbox: alarms, reminders, the 好差评 push
      var li = el("li");
      var trouble = w.failing > 0;
      if (trouble) bad++;
      li.appendChild(el("span", "tag " + (trouble ? "bad" : "ok"), trouble ? t("推送失败", "failing") : t("推送", "webhook")));
      li.appendChild(document.createTextNode(" " + w.channel + t("：已发 ", ": sent ") + w.sent + t("，待发 ", ", pending ") +
        w.pending + (w.last_error && trouble ? " · " + w.last_error : "")));
      ul.appendChild(li);
    });
    if (!view.devices.length) ul.appendChild(el("li", "muted", t("没有设备上报状态", "no device has reported")));
    $("dev-summary").textContent = bad ? t(bad + " 个离线", bad + " offline") : t("全部正常", "all OK");
  }

  function drawAlarms(view) {
    var ul = $("alarms");
    ul.textContent = "";
    view.alarms.forEach(function (a) {
      var li = el("li", "m-alarm" + (a.acked_at ? " acked" : ""));
      li.dataset.alarm = a.id;
      li.dataset.kind = a.kind;
      li.appendChild(el("span", "tag bad", EN ? a.kind_label_en : a.kind_label));
      li.appendChild(el("span", "what", EN ? a.message_en : a.message));
      li.appendChild(el("span", "since", t("自 ", "since ") + a.since.slice(11, 16)));
      if (a.acked_at) {
        li.appendChild(el("span", "muted", t("已由 ", "acknowledged by ") + (a.acked_name || a.acked_by) +
          (a.ack_note ? "：" + a.ack_note : "")));
      } else if (root.dataset.wall !== "1") {
        var b = el("button", "small", t("确认", "Acknowledge"));
        b.type = "button";
        b.addEventListener("click", function () { ackDialog(a); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    var fresh = view.alarms.filter(function (a) { return !a.acked_at; }).map(function (a) { return a.id; });
    if (seenAlarms !== null && fresh.some(function (id) { return !seenAlarms[id]; })) { signal(); }
    seenAlarms = seenAlarms || {};
    view.alarms.forEach(function (a) { seenAlarms[a.id] = true; });
  }

  function draw(view) {
    drawAlarms(view);
    drawWindows(view);
    drawServices(view);
    drawDevices(view);
    var n = view.notice;
    $("notice-now") && ($("notice-now").textContent = n ? t("正在显示：", "Showing: ") + n.text +
      (n.until ? t("（至 ", " (until ") + hhmm(n.until) + t("）", ")") : "") : t("正在显示配置的通知", "Showing the configured notice"));
  }

  function tick() {
    if (!last) return;
    var age = Math.floor((Date.now() - lastOk) / 1000);
    $("age").textContent = t("数据时间 ", "figures of ") + last.taken_at.slice(11) + t("（", " (") + age + t(" 秒前）", " s ago)");
    var cut = $("cut");
    var ageText = age >= STALE_S ? t("（" + age + " 秒前的数据）", "(" + age + " s old)") : "";
    document.querySelectorAll(".m-stale-age").forEach(function (e) { e.textContent = ageText; });
    if (age >= STALE_S) {
      root.classList.add("stale");
      cut.hidden = false;
      cut.textContent = t("与大厅服务器的连接中断：以下数据是 " + age + " 秒前（" + last.taken_at.slice(11) + "）的，不是实时数据。",
        "The link to the hall server is cut: these figures are " + age + " s old (" + last.taken_at.slice(11) + "), not live.");
    } else {
      root.classList.remove("stale");
      cut.hidden = true;
    }
  }

  function poll() {
    var asked = Date.now();
    fetch("/api/v1/manage/live", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { location.href = "/login?next=/manage"; throw new Error("login"); }
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (view) {
      var now = Date.now();
      offset = view.taken_ts * 1000 - (asked + now) / 2;
      lastOk = now;
      last = view;
      draw(view);
      tick();
    }).catch(function () { tick(); }).then(function () { setTimeout(poll, POLL_MS); });
  }

  // -- sound -------------------------------------------------------------------------------
  function signal() {
    window.manageBeeps++;
    if (!soundOn || !audio) return;
    [0, 0.35].forEach(function (at) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.25, audio.currentTime + at);
      g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.3);
      o.connect(g); g.connect(audio.destination);
      o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.3);
    });
  }
  $("sound").addEventListener("click", function () {
    soundOn = !soundOn;
    if (soundOn && !audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    this.textContent = soundOn ? t("关闭告警提示音", "Turn alarm sound off") : t("开启告警提示音", "Turn alarm sound on");
    if (soundOn) signal();
  });

  // -- actions -----------------------------------------------------------------------------
  var dialog = $("act"), form = $("act-form"), pending = null;
  function openDialog(title, detail, choices) {
    $("act-title").textContent = title;
    $("act-detail").textContent = detail || "";
    $("act-error").textContent = "";
    form.why.value = "";
    var box = $("act-buttons");
    box.textContent = "";
    $("act-fields").hidden = true;
    $("act-close").hidden = false;
    choices.forEach(function (c) {
      var b = el("button", c.plain ? "plain" : "", c.label);
      b.type = "button";
      b.dataset.action = c.id;
      b.addEventListener("click", function () { choose(c); });
      box.appendChild(b);
    });
    if (choices.length === 1) choose(choices[0]);
    dialog.showModal();
  }
  function choose(c) {
    pending = c;
    $("act-fields").hidden = false;
    $("act-close").hidden = true;
    $("pause-label").hidden = !c.pause;
    form.why.required = !c.optionalWhy;
    $("act-go").textContent = c.label;
    form.why.focus();
  }
  form.addEventListener("submit", function (ev) {
    if (ev.submitter && ev.submitter.value === "cancel") { pending = null; return; }
    ev.preventDefault();
    if (!pending) return;
    var why = form.why.value.trim();
    if (!why && !pending.optionalWhy) { $("act-error").textContent = t("请填写原因", "Please say why"); return; }
    var body = pending.body(why);
    api("POST", pending.url, body).then(function () { dialog.close(); pending = null; poll.now(); })
      .catch(function (e) { $("act-error").textContent = e.message; });
  });

  function windowDialog(w) {
    if (root.dataset.wall === "1") return;
    var base = "/api/v1/actions/windows/" + w.number + "/", choices = [];
    function why(extra) { return function (text) { var b = { why: text }; if (extra) extra(b); return b; }; }
    if (w.state === "idle" || w.state === "serving") {
      choices.push({ id: "pause", label: t("暂停窗口", "Pause"), url: base + "pause", pause: true,
                     body: why(function (b) { b.reason = form.reason.value; }) });
    }
    if (w.state === "paused") choices.push({ id: "resume", label: t("恢复服务", "Resume"), url: base + "resume", body: why() });
    if (w.state !== "closed") choices.push({ id: "close", label: t("今日关闭", "Close for today"), url: base + "close", body: why(), plain: true });
    if (w.state === "closed") choices.push({ id: "open", label: t("开放窗口", "Open"), url: base + "open", body: why() });
    openDialog(w.number + t("号窗口", " window") + " · " + STATE[w.state],
      (w.current ? t("当前 ", "current ") + w.current + " · " : "") + (w.staff_name || w.staff || ""), choices);
  }
  function serviceDialog(s) {
    var base = "/api/v1/actions/services/" + encodeURIComponent(s.code) + "/";
    var c = s.stopped ? { id: "restart", label: t("恢复取号", "Restart issuing"), url: base + "restart" }
                      : { id: "stop", label: t("暂停取号（原因显示在取号机上）", "Stop issuing (the reason shows on the kiosks)"), url: base + "stop" };
    c.body = function (why) { return { why: why }; };
    openDialog((EN && s.name_en ? s.name_en : s.name), s.stopped ? t("暂停原因：", "stopped: ") + s.stopped : "", [c]);
  }
  function ackDialog(a) {
    openDialog(t("确认告警", "Acknowledge the alarm"), EN ? a.message_en : a.message,
      [{ id: "ack", label: t("确认", "Acknowledge"), url: "/api/v1/alarms/ack", optionalWhy: true,
         body: function (note) { return { id: a.id, note: note }; } }]);
  }

  function sendForm(formEl, msgEl, build) {
    formEl.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var req = build(formEl);
      if (!req) return;
      msgEl.className = "m-msg";
      msgEl.textContent = t("正在提交…", "Sending…");
      api("POST", req.url, req.body).then(function () {
        msgEl.className = "m-msg ok";
        msgEl.textContent = t("已完成：", "Done: ") + req.done;
        formEl.reset();
        poll.now();
      }).catch(function (e) { msgEl.className = "m-msg bad"; msgEl.textContent = e.message; });
    });
  }
  var tf = $("ticket-form");
  if (tf) {
    sendForm(tf, $("ticket-msg"), function (f) {
      var n = f.number.value.trim().toUpperCase(), a = f.action.value, body = { why: f.why.value.trim() };
      if (a === "transfer") {
        if (f.to_service.value) body.to_service = f.to_service.value;
        else if (f.to_window.value) body.to_window = parseInt(f.to_window.value, 10);
        else { $("ticket-msg").className = "m-msg bad"; $("ticket-msg").textContent = t("请选择转到的业务或窗口", "Choose a service or a window"); return null; }
      }
      return { url: "/api/v1/actions/tickets/" + encodeURIComponent(n) + "/" + a, body: body, done: n };
    });
    sendForm($("notice-form"), $("notice-msg"), function (f) {
      var body = { why: f.why.value.trim(), text: f.text.value.trim(), text_en: f.text_en.value.trim() };
      if (f.minutes.value) body.minutes = parseFloat(f.minutes.value);
      return { url: "/api/v1/actions/notice", body: body, done: body.text };
    });
    $("notice-clear").addEventListener("click", function () {
      var f = $("notice-form"), why = f.why.value.trim();
      if (!why) { $("notice-msg").className = "m-msg bad"; $("notice-msg").textContent = t("请填写原因", "Please say why"); return; }
      api("POST", "/api/v1/actions/notice/clear", { why: why }).then(function () {
        $("notice-msg").className = "m-msg ok"; $("notice-msg").textContent = t("通知已撤下", "Notice cleared"); f.reset(); poll.now();
      }).catch(function (e) { $("notice-msg").className = "m-msg bad"; $("notice-msg").textContent = e.message; });
    });
  }

  // after an action: at once, and again once the server's next build is due (it builds at most
  // twice a second, so the first answer may not have the action yet)
  poll.now = function () { refresh(); setTimeout(refresh, 700); };
  function refresh() {
    fetch("/api/v1/manage/live", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (view) { if (view) { lastOk = Date.now(); last = view; draw(view); tick(); } })
      .catch(function () {});
  }
  setInterval(tick, 500);
  poll();
})();
