// Zorgplek: live updates over Server-Sent Events and countdowns. Plain JavaScript, no
// build step. Every page works without it; with it, the part of the page marked
// data-live-events is fetched again from the server whenever one of those events arrives.
"use strict";

(function () {
  var FRAGMENT_HEADER = "X-Zorgplek-Fragment";
  var REFRESH_EVERY_MS = 60000;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function duration(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s % 60) : m + ":" + pad(s % 60);
  }

  // <span data-countdown="2026-11-23T14:00:00+00:00"> shows the time left, or how late.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(due)) { return; }
      var left = due - now;
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? duration(left) + " te laat" : "nog " + duration(left);
      var row = el.closest("[data-due-row]");
      if (row) { row.classList.toggle("overdue", left < 0); }
    });
  }

  function announce(text) {
    var status = document.getElementById("live-status");
    if (status) { status.textContent = text; }
  }

  function liveRegion() { return document.querySelector("[data-live-events]"); }

  // What someone was typing in the live block survives its refresh.
  function keepTyped(region) {
    var typed = [];
    region.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      var changed = el.tagName === "SELECT"
        ? Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; })
        : el.type !== "hidden" && el.value !== el.defaultValue;
      if (changed) { typed.push([el.id, el.value]); }
    });
    return typed;
  }

  function restoreTyped(typed) {
    typed.forEach(function (entry) {
      var el = document.getElementById(entry[0]);
      if (el) { el.value = entry[1]; }
    });
  }

  var pending = null;
  var inFlight = false;

  // Fetch this page's live block again and put it in place, keeping focus where it was.
  function refresh() {
    var region = liveRegion();
    if (!region || inFlight) { return; }
    inFlight = true;
    var focused = document.activeElement && document.activeElement.id;
    var headers = {};
    headers[FRAGMENT_HEADER] = "1";
    fetch(window.location.href, { headers: headers, credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || html === undefined) { return; }
        var typed = keepTyped(region);
        region.innerHTML = html;
        restoreTyped(typed);
        region.setAttribute("data-refreshed", String(Date.now()));
        tick();
        if (focused) {
          var again = document.getElementById(focused);
          if (again) { again.focus(); }
        }
        announce("Bijgewerkt om " + new Date().toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" }));
      })
      .catch(function () { /* the next event or the periodic refresh tries again */ })
      .then(function () { inFlight = false; });
  }

  function soon() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; refresh(); }, 200);
  }

  // One stream per page; the events this page cares about refresh its live block.
  function listen() {
    var region = liveRegion();
    var url = document.body.getAttribute("data-stream");
    if (!region || !url || !window.EventSource) { return; }
    var types = region.getAttribute("data-live-events").split(/\s+/).filter(Boolean);
    var source = null;
    var retry = 1000;

    function open() {
      source = new EventSource(url);
      source.onopen = function () {
        retry = 1000;
        document.body.setAttribute("data-stream-state", "open");
      };
      source.onerror = function () {
        document.body.setAttribute("data-stream-state", "closed");
        if (source.readyState === EventSource.CLOSED) {
          // Refused (an expired session, say): the page refresh finds out and, if the
          // session ended, goes to Inloggen; otherwise try the stream again later.
          refresh();
          setTimeout(open, retry);
          retry = Math.min(retry * 2, 30000);
        }
      };
      types.forEach(function (type) { source.addEventListener(type, soon); });
    }
    open();
    window.addEventListener("pagehide", function () { if (source) { source.close(); } });
  }

  // Put the first field with an error in view and focus the error summary.
  function focusErrors() {
    var summary = document.getElementById("fouten");
    if (summary) { summary.focus(); }
  }

  // Forms that change something: one submit only, so a double click books no second place.
  function guardForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.getAttribute("method") !== "post") { return; }
      if (form.getAttribute("data-submitting") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-submitting", "1");
      setTimeout(function () { form.removeAttribute("data-submitting"); }, 5000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    listen();
    focusErrors();
    guardForms();
    if (liveRegion()) { setInterval(refresh, REFRESH_EVERY_MS); }
  });
})();
