// reckon console: live refresh of active runs.
//
// While a page shows active runs (elements marked data-live), the script
// asks for the same page again every few seconds and swaps the content of
// those elements — and of the parts a run changes when it ends, such as
// the notifications link and a dashboard's panels (data-live-always) — for
// the fresh version. A message about an active run (data-live-run, the id
// of its row) goes once that row has finished: the panels say the rest.
// Once nothing on the page is active, it stops. Without JavaScript the page
// works the same; it is only not refreshed.
(function () {
  "use strict";

  // The browser's time zone, for the server to show times in when the user
  // has not chosen one.
  try {
    var zone = window.Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("reckon_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "reckon_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) {
    // Without Intl the times stay in UTC.
  }

  var interval = parseInt(document.body.getAttribute("data-live-interval"), 10) || 2000;

  function anyLive() {
    return document.querySelector("[data-live][id]") !== null;
  }

  function schedule(delay) {
    if (anyLive()) {
      window.setTimeout(refresh, delay);
    }
  }

  // swap copies the fresh element's content and live marker into the
  // current one, keeping the element itself (and an aria-live region's
  // announcements), an open <details> open, and what a person typed or
  // chose in a form field (a note) with the focus where it was.
  function swap(current, fresh) {
    if (current.innerHTML === fresh.innerHTML && current.hasAttribute("data-live") === fresh.hasAttribute("data-live")) {
      return;
    }
    var open = [];
    current.querySelectorAll("details[open]").forEach(function (d) { open.push(d.className); });
    var typed = {};
    current.querySelectorAll("input[id]:not([type=hidden]), textarea[id], select[id]").forEach(function (f) {
      typed[f.id] = (f.type === "checkbox" || f.type === "radio") ? f.checked : f.value;
    });
    var active = document.activeElement;
    var focused = active && active.id && current.contains(active) ? active.id : "";
    current.innerHTML = fresh.innerHTML;
    if (!fresh.hasAttribute("data-live")) {
      current.removeAttribute("data-live");
    }
    current.querySelectorAll("details").forEach(function (d) {
      if (open.indexOf(d.className) >= 0) { d.open = true; }
    });
    Object.keys(typed).forEach(function (id) {
      var f = document.getElementById(id);
      if (!f || !current.contains(f)) { return; }
      if (f.type === "checkbox" || f.type === "radio") { f.checked = typed[id]; } else { f.value = typed[id]; }
    });
    var again = focused ? document.getElementById(focused) : null;
    if (again && current.contains(again)) { again.focus(); }
  }

  function refresh() {
    window.fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      // The server keeps one-time messages for the page a person opens.
      headers: { "Accept": "text/html", "X-Reckon-Live": "1" }
    }).then(function (res) {
      if (!res.ok || res.redirected) {
        throw new Error("live refresh: " + res.status);
      }
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live][id], [data-live-always][id]").forEach(function (el) {
        var fresh = doc.getElementById(el.id);
        if (fresh) {
          swap(el, fresh);
        }
      });
      document.querySelectorAll("[data-live-run]").forEach(function (el) {
        var row = document.getElementById(el.getAttribute("data-live-run"));
        if (row && !row.hasAttribute("data-live")) {
          el.parentNode.removeChild(el);
        }
      });
      schedule(interval);
    }).catch(function () {
      // The server may be restarting: try again, less often.
      schedule(interval * 5);
    });
  }

  schedule(interval);
})();
