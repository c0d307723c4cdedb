// The ticket status page, live: Server-Sent Events (/t/<token>/events), polling as fallback;
// the called banner with vibration and a tone; "remind me when N ahead" while the page is open.
(function () {
  "use strict";
  var root = document.getElementById("status");
  if (!root) return;
  var token = root.dataset.token, first = root.dataset.state, en = root.dataset.lang === "en";
  var $ = function (sel) { return root.querySelector(sel); };
  var store = window.localStorage || { getItem: function () {}, setItem: function () {} };
  var audio = null;

  function unlockAudio() {
    var A = window.AudioContext || window.webkitAudioContext;
    if (A && !audio) { try { audio = new A(); } catch (e) { audio = null; } }
  }
  document.addEventListener("touchstart", unlockAudio, { once: true });
  document.addEventListener("click", unlockAudio, { once: true });

  function tone() {
    if (!audio) return;
    try {
      [0, 0.35].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.25;
        o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.25);
      });
    } catch (e) { /* no sound where the browser does not allow it */ }
  }
  function buzz(pattern) { if (navigator.vibrate) { try { navigator.vibrate(pattern); } catch (e) {} } }
  function notify(text) {
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(text, { tag: "jiaohao-" + token }); } catch (e) {}
    }
  }
  function once(key) {
    key = "jh-" + token + "-" + key;
    if (store.getItem(key)) return false;
    store.setItem(key, "1");
    return true;
  }
  function text(sel, value) { var el = $(sel); if (el) el.textContent = value; }

  function windowsRows(s) {
    var table = $(".js-windows");
    if (!table) return;
    while (table.rows.length > 1) table.deleteRow(1);
    s.windows.forEach(function (w) {
      var row = table.insertRow(-1), a = row.insertCell(0), b = row.insertCell(1);
      a.textContent = w.number + (en ? "" : "号");
      if (w.state === "serving") { var strong = document.createElement("b"); strong.textContent = w.current; b.appendChild(strong); }
      else b.textContent = w.state === "idle" ? (en ? "free" : "空闲") : w.state === "paused" ? (en ? "paused" : "暂停") : (en ? "closed" : "未开放");
    });
  }

  function apply(s) {
    if (s.state !== first && !(first === "waiting" && s.state === "called")) { location.reload(); return; }
    if (s.state === "called") {
      var banner = document.getElementById("called");
      banner.hidden = false;
      banner.querySelectorAll(".js-window").forEach(function (el) { el.textContent = s.window; });
      text(".state-line", en ? "Your number is being called" : "正在叫您的号");
      var est = $(".estimate"), basis = $(".js-basis");
      if (est) est.hidden = true;
      if (basis) basis.hidden = true;
      var remind = root.querySelector(".remind");
      if (remind) remind.hidden = true;
      if (once("called-" + s.window + "-" + s.called_at)) {
        buzz([400, 150, 400, 150, 400]); tone();
        notify(en ? "Number " + s.number + ": please go to window " + s.window : "请" + s.number + "号到" + s.window + "号窗口");
        banner.scrollIntoView({ behavior: "smooth" });
      }
    } else if (s.state === "waiting") {
      text(".js-ahead", s.ahead);
      text(".js-wait", s.wait_minutes ? (en ? "about " + s.wait_minutes + " min" : "约 " + s.wait_minutes + " 分钟") : (en ? "any moment" : "马上就到您"));
      var e = s.estimate;
      text(".js-basis", (en ? "How: " : "估算方法: ") + e.ahead + (en ? " ahead × " : " 人 × ") + e.handling_minutes +
        (en ? " min each ÷ " : " 分钟/人 ÷ ") + e.windows_open + (en ? " open windows" : " 个窗口在办") +
        (e.measured ? (en ? " (today's recent average)" : "（按今天最近办结的平均用时）") : (en ? " (the service's expected time)" : "（按该业务的预计用时）")));
      var n = parseInt(($(".js-remind-n") || {}).value || root.dataset.remindDefault, 10);
      if (s.ahead <= n && once("ahead-" + n)) {
        buzz([300, 100, 300]); tone();
        notify(en ? s.ahead + " ahead of " + s.number + ": please come back to the hall" : s.number + "号前面还有" + s.ahead + "人，请回到大厅等候");
      }
    }
    windowsRows(s);
    root.dataset.updated = String(Date.now());
  }

  // reminder controls
  var on = $(".js-remind-on");
  if (on && (window.Notification || navigator.vibrate)) {
    on.hidden = false;
    on.addEventListener("click", function () {
      unlockAudio();
      if (window.Notification && Notification.requestPermission) {
        Notification.requestPermission().then(function (p) {
          text(".js-remind-state", p === "granted" ? (en ? "This phone will be alerted." : "本页打开时将提醒您。") : (en ? "Only vibration and sound are allowed." : "仅能振动和响铃提醒。"));
        });
      } else text(".js-remind-state", en ? "This phone will vibrate." : "本页打开时将振动提醒。");
    });
  }
  // the problem options only for 不满意 / 非常不满意
  var problems = $(".js-problems");
  if (problems) {
    var show = function () {
      var picked = root.querySelector("input[name=level]:checked");
      problems.hidden = !(picked && picked.dataset.bad);
    };
    root.querySelectorAll("input[name=level]").forEach(function (r) { r.addEventListener("change", show); });
    show();
  }

  if (first !== "waiting" && first !== "called" && first !== "skipped") return;  // a missed number may be put back
  var polling = null;
  function tick() {
    fetch("/t/" + token, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) apply(s); }).catch(function () {});
  }
  function poll() {
    if (polling) return;
    polling = setInterval(tick, 15000);
    tick();
  }
  if (!window.EventSource) { poll(); return; }
  function stream() {
    var failures = 0;
    var es = new EventSource("/t/" + token + "/events");
    es.onmessage = function (m) {
      failures = 0;
      if (polling) { clearInterval(polling); polling = null; }
      try { apply(JSON.parse(m.data)); } catch (e) {}
    };
    es.onerror = function () {
      failures += 1;
      if (es.readyState === 2 || failures >= 2) {  // refused or cut off: poll, and try the stream again later
        es.close(); poll(); setTimeout(stream, 60000);
      }
    };
  }
  stream();
})();
