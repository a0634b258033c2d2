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

  function words(text) { return (text || "").split(/\s+/).filter(Boolean); }

  // Rows carry data-key (what they are) and data-version (their state). After a refresh a
  // row that is new or whose state changed gets data-changed, and is highlighted a while.
  function versions(region) {
    var seen = {};
    region.querySelectorAll("[data-key]").forEach(function (el) {
      seen[el.getAttribute("data-key")] = el.getAttribute("data-version") || "";
    });
    return seen;
  }

  function markChanged(region, before) {
    region.querySelectorAll("[data-key]").forEach(function (el) {
      var key = el.getAttribute("data-key");
      if (!Object.prototype.hasOwnProperty.call(before, key) ||
          before[key] !== (el.getAttribute("data-version") || "")) {
        el.setAttribute("data-changed", "");
      }
    });
  }

  // Where keyboard focus is, so that it survives the live block being replaced: the
  // element's id, else its row (data-key) and its place among that row's controls, else
  // its place among the block's controls.
  var CONTROLS = "a[href], button, input, select, textarea, [tabindex]";

  function focusPlace(region) {
    var el = document.activeElement;
    if (!el || !region.contains(el)) { return null; }
    if (el.id) { return { id: el.id }; }
    var row = el.closest("[data-key]");
    var within = row || region;
    return {
      key: row ? row.getAttribute("data-key") : null,
      index: Array.prototype.indexOf.call(within.querySelectorAll(CONTROLS), el)
    };
  }

  function restoreFocus(region, place) {
    if (!place) { return; }
    var el = null;
    if (place.id) {
      el = document.getElementById(place.id);
    } else {
      var within = region;
      if (place.key !== null) {
        within = Array.prototype.filter.call(region.querySelectorAll("[data-key]"), function (row) {
          return row.getAttribute("data-key") === place.key;
        })[0];
      }
      if (within) { el = within.querySelectorAll(CONTROLS)[place.index] || null; }
    }
    if (el) { el.focus({ preventScroll: true }); }
  }

  var pending = null;
  var inFlight = false;
  var again = false;

  // Fetch this page's live block again and put it in place, keeping focus where it was
  // and marking the rows that changed.
  function refresh() {
    var region = liveRegion();
    if (!region) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
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
        var place = focusPlace(region);
        var before = versions(region);
        region.innerHTML = html;
        restoreTyped(typed);
        markChanged(region, before);
        region.setAttribute("data-refreshed", String(Date.now()));
        tick();
        relabel();
        restoreFocus(region, place);
        announce("Bijgewerkt om " + new Date().toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" }));
      })
      .catch(function () { /* the next event or the periodic refresh tries again */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; refresh(); }
      });
  }

  function soon() {
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; refresh(); }, 200);
  }

  // Attention: the count of what waits for this user, in the navigation and the tab title,
  // and — when they opted in — a notification with a sound for what is new.
  var NOTIFY_KEY = "zorgplek.meldingen";
  var ALERT_TITLES = {
    "reservation.held": "Nieuwe reservering",
    "reservation.declined": "Reservering afgewezen",
    "reservation.expired": "Reservering verlopen"
  };
  var waiting = null;       // what waited at the last look: id -> Dutch line
  var alerts = [];          // alert events since then: [type, id]
  var attentionPending = null;
  var attentionInFlight = false;

  function notifyOn() {
    try { return window.localStorage.getItem(NOTIFY_KEY) === "aan"; } catch (e) { return false; }
  }

  function playSound() {
    var src = document.body.getAttribute("data-sound");
    if (!src) { return; }
    var played = new Audio(src).play();
    // Without a click on this page first, a browser may refuse; the notification stays.
    if (played && played.catch) { played.catch(function () {}); }
  }

  function alertUser(type, text) {
    if (!notifyOn() || !window.Notification || Notification.permission !== "granted") { return; }
    try {
      new Notification("Zorgplek: " + (ALERT_TITLES[type] || "melding"), { body: text, tag: type + ":" + text });
    } catch (e) { return; }
    playSound();
  }

  function showCount(count) {
    document.querySelectorAll("[data-attention-count]").forEach(function (el) {
      el.textContent = String(count);
      el.hidden = count === 0;
    });
    var title = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + title : title;
  }

  function attention() {
    var url = document.body.getAttribute("data-attention");
    if (!url) { return; }
    if (attentionInFlight) { attentionSoon(); return; }
    attentionInFlight = true;
    var raised = alerts;
    alerts = [];
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", redirect: "manual" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found) { return; }
        showCount(found.count);
        var before = waiting;
        waiting = found.items;
        document.body.setAttribute("data-attention-state", "ready");
        raised.forEach(function (alert) {
          var text = found.items[alert[1]];
          if (before && text && !Object.prototype.hasOwnProperty.call(before, alert[1])) {
            alertUser(alert[0], text);
          }
        });
      })
      .catch(function () {})
      .then(function () { attentionInFlight = false; });
  }

  function attentionSoon() {
    if (attentionPending) { clearTimeout(attentionPending); }
    attentionPending = setTimeout(function () { attentionPending = null; attention(); }, 200);
  }

  // The opt-in: a toggle in the header; the browser asks for permission on the first click.
  function notifyToggle() {
    var button = document.querySelector("[data-notify-toggle]");
    if (!button || !window.Notification) { return; }
    function show() {
      button.setAttribute("aria-pressed", String(notifyOn() && Notification.permission === "granted"));
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      if (notifyOn()) {
        window.localStorage.removeItem(NOTIFY_KEY);
        show();
        announce("Meldingen staan uit.");
        return;
      }
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") {
          window.localStorage.setItem(NOTIFY_KEY, "aan");
          playSound();
          announce("Meldingen staan aan.");
        } else {
          announce("Uw browser staat meldingen voor Zorgplek niet toe.");
        }
        show();
      });
    });
  }

  // One stream per page: the events this page shows refresh its live block; the events
  // that change what waits for the user update the count.
  function listen() {
    var url = document.body.getAttribute("data-stream");
    if (!url || !window.EventSource) { return; }
    var region = liveRegion();
    var liveTypes = region ? words(region.getAttribute("data-live-events")) : [];
    var watchTypes = words(document.body.getAttribute("data-attention-events"));
    var alertTypes = words(document.body.getAttribute("data-alert-events"));
    var alertKey = document.body.getAttribute("data-alert-key");
    if (!liveTypes.length && !watchTypes.length) { return; }
    var source = null;
    var retry = 1000;

    function watched(type) {
      return function (event) {
        if (alertTypes.indexOf(type) >= 0 && alertKey) {
          try {
            var data = JSON.parse(event.data).data || {};
            if (data[alertKey]) { alerts.push([type, String(data[alertKey])]); }
          } catch (e) { /* a malformed event changes only the count */ }
        }
        attentionSoon();
      };
    }

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
          if (region) { refresh(); }
          setTimeout(open, retry);
          retry = Math.min(retry * 2, 30000);
        }
      };
      liveTypes.forEach(function (type) { source.addEventListener(type, soon); });
      watchTypes.forEach(function (type) { source.addEventListener(type, watched(type)); });
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
    attention();
    notifyToggle();
    focusErrors();
    guardForms();
    if (liveRegion()) { setInterval(refresh, REFRESH_EVERY_MS); }
  });
})();
