/* Forms of the managers' pages: <form data-api="/api/v1/…" data-method="POST"> is sent as
   JSON with the page header and an Idempotency-Key; fields with data-type="number" or
   "list" are converted, an empty data-null field is sent as null. On success the page
   reloads, or shows the answer's one-time token (device enrolment). */
(function () {
  "use strict";
  var EN = document.documentElement.lang === "en";
  function t(zh, en) { return EN ? en : zh; }
  function value(input) {
    var v = input.value.trim(), type = input.dataset.type;
    if (input.type === "checkbox") return input.checked;
    if (v === "" && input.dataset.null !== undefined) return null;
    if (type === "number") return v === "" ? null : Number(v);
    if (type === "bool") return v === "true";
    if (type === "list") return v ? v.split(/[,，\s]+/).filter(Boolean).map(Number) : [];
    return v;
  }
  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {}, msg = form.querySelector(".m-msg") || document.getElementById("form-msg");
      Array.prototype.forEach.call(form.elements, function (input) {
        if (input.name && !input.disabled) body[input.name] = value(input);
      });
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      if (msg) { msg.className = "m-msg"; msg.textContent = t("正在提交…", "Sending…"); }
      fetch(form.dataset.api, {
        method: form.dataset.method || "POST", credentials: "same-origin",
        headers: { "X-Jiaohao-Page": "1", "Content-Type": "application/json",
                   "Idempotency-Key": Date.now().toString(36) + Math.random().toString(36).slice(2) },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data, status: r.status }; });
      }).then(function (res) {
        if (!res.ok) {
          var e = res.data.error ? (EN ? res.data.error.message_en : res.data.error.message) : "HTTP " + res.status;
          if (msg) { msg.className = "m-msg bad"; msg.textContent = e; }
          return;
        }
        if (res.data.token) {
          var box = document.getElementById("token");
          box.hidden = false;
          box.querySelector("code").textContent = res.data.token;
          if (msg) { msg.className = "m-msg ok"; msg.textContent = t("已添加：令牌只显示这一次，请现在复制到该设备", "Added: the token is shown this once; copy it to the device now"); }
          return;
        }
        location.reload();
      }).catch(function (e) { if (msg) { msg.className = "m-msg bad"; msg.textContent = String(e); } });
    });
  });
})();
