/* The 好差评 follow-up work list (the ratings part's /api/v1/followups) on the managers'
   bad-ratings page: open follow-ups, the overdue first in red. */
(function () {
  "use strict";
  var table = document.getElementById("followups");
  if (!table) return;
  var EN = table.dataset.en === "1", body = table.querySelector("tbody");
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  fetch(table.dataset.url, { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (rows) {
      rows.sort(function (a, b) { return (b.overdue - a.overdue) || (b.due_soon - a.due_soon); });
      rows.forEach(function (f) {
        var tr = document.createElement("tr");
        if (f.overdue) tr.className = "over";
        cell(tr, f.number + " · " + f.day);
        cell(tr, f.window);
        cell(tr, f.level_name, "bad");
        cell(tr, f.state);
        cell(tr, (f.due || "") + (f.overdue ? (EN ? " overdue" : " 已超期") : f.due_soon ? (EN ? " due soon" : " 即将到期") : ""));
        cell(tr, f.text || "");
        body.appendChild(tr);
      });
      if (!rows.length) { var tr = document.createElement("tr"); cell(tr, EN ? "No open follow-up." : "没有未结的整改回访。"); body.appendChild(tr); }
    })
    .catch(function (e) { var tr = document.createElement("tr"); cell(tr, String(e), "bad"); body.appendChild(tr); });
})();
