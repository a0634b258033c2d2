// Zorgplek: live updates over Server-Sent Events and countdowns. Plain JavaScript, no
// build step. Every page works without it; with it, the part of the page marked
// data-live-events is fetched again from the server whenever one of those events arrives.
"use strict";

(function () {
  var FRAGMENT_HEADER = "X-Zorgplek-Fragment";
  var REFRESH_EVERY_MS = 60000;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // Moments in Dutch time, as the server writes them (services/web/core/render.py `when`):
  // "14:05" today, "morgen 02:05", "gisteren 23:10", else "ma 7 dec 00:00".
  var WEEKDAYS = ["ma", "di", "wo", "do", "vr", "za", "zo"];
  var MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
  var RELATIVE_DAYS = { "0": "vandaag", "1": "morgen", "-1": "gisteren" };
  var DUTCH_TIME = new Intl.DateTimeFormat("nl-NL", {
    timeZone: "Europe/Amsterdam", year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });

  function dutchParts(ms) {
    var parts = {};
    DUTCH_TIME.formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = Number(p.value); });
    return parts;
  }

  function when(ms, nowMs) {
    var at = dutchParts(ms);
    var today = dutchParts(nowMs === undefined ? Date.now() : nowMs);
    var time = pad(at.hour) + ":" + pad(at.minute);
    var day = Date.UTC(at.year, at.month - 1, at.day);
    var offset = Math.round((day - Date.UTC(today.year, today.month - 1, today.day)) / 86400000);
    if (offset === 0) { return time; }
    if (RELATIVE_DAYS[String(offset)]) { return RELATIVE_DAYS[String(offset)] + " " + time; }
    var text = WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7] + " " + at.day + " " + MONTHS[at.month - 1];
    return (at.year === today.year ? text : text + " " + at.year) + " " + time;
  }

  // <time data-when datetime="..."> keeps saying the right day when the page stays open
  // past midnight.
  function relabel() {
    var now = Date.now();
    document.querySelectorAll("time[data-when]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(at)) { el.textContent = when(at, now); }
    });
  }

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
        relabel();
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

  window.zorgplek = { when: when };

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    relabel();
    setInterval(relabel, 60000);
    listen();
    focusErrors();
    guardForms();
    if (liveRegion()) { setInterval(refresh, REFRESH_EVERY_MS); }
  });
})();
