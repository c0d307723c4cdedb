// The hall queue page, live: waiting and estimated wait per service (/hall/events).
(function () {
  "use strict";
  var table = document.querySelector(".js-hall");
  if (!table || !window.EventSource) return;
  var en = table.dataset.lang === "en";
  var es = new EventSource("/hall/events");
  es.onmessage = function (m) {
    var h;
    try { h = JSON.parse(m.data); } catch (e) { return; }
    h.services.forEach(function (v) {
      var row = table.querySelector('tr[data-code="' + v.code + '"]');
      if (!row) return;
      row.querySelector(".js-waiting").textContent = v.waiting + (en ? "" : "人");
      row.querySelector(".js-wait").textContent = v.waiting ? v.wait_minutes + (en ? " min" : "分钟") : (en ? "none" : "无需等候");
    });
    var at = document.querySelector(".js-at");
    if (at) at.textContent = h.at.slice(11, 16);
  };
})();
