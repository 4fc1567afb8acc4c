/* Advocate survey widget: <script src=".../widget.js" data-survey="ID" [data-customer
   data-signature data-lang] async>. No dependencies or cookies; styles in a shadow root. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-survey]");
  if (!script || document.getElementById("advocate-widget")) return;
  var d = script.dataset, survey = d.survey;
  if (!survey) return;
  var base = script.src.replace(/widget\.js(\?.*)?$/, "");
  var api = base + "w/" + encodeURIComponent(survey);
  var memo = "advocate:" + survey + ":" + (d.customer || "");
  var DAY = 864e5;

  function remembered() {
    try { return Number(localStorage.getItem(memo)) > Date.now(); } catch (e) { return false; }
  }
  function remember(days) {
    try { localStorage.setItem(memo, String(Date.now() + days * DAY)); } catch (e) { /* private mode */ }
  }
  if (remembered()) return;

  var q = "?lang=" + encodeURIComponent(d.lang || "");
  if (d.customer) {
    q += "&customer=" + encodeURIComponent(d.customer) +
      "&signature=" + encodeURIComponent(d.signature || "");
  }
  fetch(api + "/prompt" + q, { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (p) { if (p && p.show) show(p); })
    .catch(function () { /* never break the host page */ });

  var CSS =
    ":host{all:initial}" +
    ".card{position:fixed;z-index:2147483647;right:16px;bottom:16px;width:400px;max-width:calc(100vw - 32px);" +
    "box-sizing:border-box;padding:20px;background:#fff;color:#1a1a2e;border-radius:12px;" +
    "box-shadow:0 8px 32px #0004;font:15px/1.4 system-ui,sans-serif}" +
    ".card:focus{outline:none}" +
    "p{margin:0 28px 12px 0;font-weight:600}" +
    ".scale{display:grid;gap:4px}.scale button{padding:0}" +
    "button,textarea{font:inherit;border-radius:6px;border:1px solid #c5c8d4;color:inherit}" +
    "button{cursor:pointer;background:#f5f6fa;min-height:40px;padding:0 12px}" +
    "button:hover{background:#e4e7f2}" +
    "button:focus-visible,textarea:focus-visible{outline:3px solid #3d5afe;outline-offset:2px}" +
    "button[disabled]{opacity:.6;cursor:default}" +
    ".ends,.actions{display:flex;justify-content:space-between;margin-top:8px;gap:8px}.ends{font-size:12px;color:#555}" +
    ".advocate-close{position:absolute;top:8px;right:8px;min-height:32px;border:0;background:none;font-size:22px}" +
    "label{display:block;font-weight:600;margin-bottom:8px}" +
    "textarea{box-sizing:border-box;width:100%;min-height:80px;padding:8px}.actions{justify-content:flex-end}" +
    ".advocate-send{background:#3d5afe;border-color:#3d5afe;color:#fff}" +
    ".advocate-send:hover{background:#2a44d8}" +
    ".error{color:#b00020;font-weight:400;margin:10px 0 0}" +
    "[hidden]{display:none!important}" +
    "@media (max-width:480px){.card{left:0;right:0;bottom:0;width:auto;max-width:none;border-radius:12px 12px 0 0}}";

  function el(tag, attrs, text, kids) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    (kids || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function show(p) {
    var host = el("div", { id: "advocate-widget" });
    var root = host.attachShadow({ mode: "open" });
    var card = el("div", { "class": "card", role: "dialog", "aria-label": p.question, lang: p.lang, tabindex: "-1" });
    var f = p.follow_up || {};
    var close = el("button", { type: "button", "class": "advocate-close", "aria-label": p.dismiss, title: p.dismiss }, "\u00d7");
    var question = el("p", { id: "advocate-q" }, p.question);
    var scale = el("div", { "class": "scale", role: "group", "aria-labelledby": "advocate-q" });
    var min = p.scale ? p.scale.min : 0, max = p.scale ? p.scale.max : 10;
    scale.style.gridTemplateColumns = "repeat(" + (max - min + 1) + ",1fr)";
    for (var n = min; n <= max; n++) {
      var label = n === min ? n + " \u2013 " + p.low_label : n === max ? n + " \u2013 " + p.high_label : String(n);
      scale.appendChild(el("button", { type: "button", "data-score": String(n), "aria-label": label }, String(n)));
    }
    var ends = el("div", { "class": "ends", "aria-hidden": "true" }, null,
      [el("span", {}, p.low_label), el("span", {}, p.high_label)]);
    var step1 = el("div", {}, null, [question, scale, ends]);

    var prompt = el("label", { "for": "advocate-comment" });
    var text = el("textarea", { id: "advocate-comment", placeholder: f.placeholder || "", maxlength: "5000" });
    var skip = el("button", { type: "button", "class": "advocate-skip" }, f.skip);
    var send = el("button", { type: "button", "class": "advocate-send" }, f.send);
    var step2 = el("div", { hidden: "" }, null, [prompt, text, el("div", { "class": "actions" }, null, [skip, send])]);

    var thanks = el("p", { "class": "advocate-thanks", role: "status", tabindex: "-1", hidden: "" }, p.thanks);
    var error = el("p", { "class": "error", role: "alert", hidden: "" });
    [close, step1, step2, thanks, error].forEach(function (x) { card.appendChild(x); });
    root.appendChild(el("style", {}, CSS));
    root.appendChild(card);

    var token = p.token, score = null, before = document.activeElement, timer;

    function finish() {
      clearTimeout(timer);
      host.remove();
      if (before && before.focus && document.contains(before)) before.focus({ preventScroll: true });
    }
    function dismiss() { remember(score === null ? 3 : 90); finish(); }
    function busy(on) {
      root.querySelectorAll("button").forEach(function (b) { if (b !== close) b.disabled = on; });
    }
    function post(body, done) {
      busy(true);
      error.hidden = true;
      body.token = token;
      fetch(api + "/answers", {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.detail || r.statusText);
          return j;
        });
      }).then(function (j) {
        busy(false);
        if (j.token) token = j.token;
        done();
      }).catch(function (e) {
        busy(false);
        error.textContent = e.message;
        error.hidden = false;
      });
    }
    function thank() {
      remember(90);
      step1.hidden = step2.hidden = true;
      thanks.hidden = false;
      thanks.focus({ preventScroll: true });
      timer = setTimeout(finish, 4000);
    }

    scale.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-score]");
      if (!b) return;
      var s = Number(b.dataset.score);
      post({ score: s }, function () {
        score = s;
        var c = p.kind === "csat" ? "passive" : s <= 6 ? "detractor" : s <= 8 ? "passive" : "promoter";
        prompt.textContent = f[c] || "";
        step1.hidden = true;
        step2.hidden = false;
        text.focus({ preventScroll: true });
      });
    });
    send.addEventListener("click", function () {
      var c = text.value.trim();
      if (!c) return thank();
      post({ score: score, comment: c }, thank);
    });
    skip.addEventListener("click", thank);
    close.addEventListener("click", dismiss);
    card.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); dismiss(); }
    });

    document.body.appendChild(host);
    card.focus({ preventScroll: true });
  }
})();
