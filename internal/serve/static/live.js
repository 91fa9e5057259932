// shdmc dashboard: keeps a page current without reloading it.
//
// Every few seconds (data-refresh-ms on <body>) it asks /api/v1/status
// whether anything changed. On the dashboard (data-version on <body>) a
// new version replaces the page's content in place: open posts stay
// open and the scroll position stays. "polled … ago" counts on every
// second, and the page is greyed out (class "stale") when the server says
// no source was polled for three intervals, or "offline" when the server
// cannot be reached; a form someone is filling in holds the swap until
// they are done. Nothing here runs inline: the page's
// Content-Security-Policy allows only this file.
(function () {
  "use strict";
  var body = document.body;
  var statusURL = body.getAttribute("data-status-url");
  if (!statusURL || !window.fetch) {
    return;
  }
  var version = body.getAttribute("data-version");
  var every = Math.max(parseInt(body.getAttribute("data-refresh-ms"), 10) || 15000, 500);
  // The server's clock may differ from the browser's (and the demo runs on
  // a simulated one): times are compared on the server's clock.
  var skew = Date.now() - Date.parse(body.getAttribute("data-now"));
  if (isNaN(skew)) {
    skew = 0;
  }
  var failures = 0;
  var busy = false;

  function tpl(name, n) {
    return (body.getAttribute("data-ago-" + name) || "").replace("{n}", String(n));
  }

  function ago(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 5) {
      return tpl("now", 0);
    }
    if (s < 60) {
      return tpl("s", s);
    }
    if (s < 3600) {
      return tpl("m", Math.floor(s / 60));
    }
    if (s < 48 * 3600) {
      return tpl("h", Math.floor(s / 3600));
    }
    return tpl("d", Math.floor(s / 86400));
  }

  function tick() {
    var now = Date.now() - skew;
    var els = document.querySelectorAll("[data-at][data-tpl]");
    for (var i = 0; i < els.length; i++) {
      var at = Date.parse(els[i].getAttribute("data-at"));
      if (!isNaN(at)) {
        els[i].textContent = els[i].getAttribute("data-tpl").replace("{ago}", ago(Math.max(now - at, 0)));
      }
    }
  }

  function setClass(name, on) {
    if (on) {
      body.classList.add(name);
    } else {
      body.classList.remove(name);
    }
  }

  // editing reports whether someone is filling in a form of the page (an
  // incident card's acknowledgement): its content is not replaced under
  // their hands, but once they are done.
  function editing() {
    var main = document.querySelector("main");
    if (!main) {
      return false;
    }
    var active = document.activeElement;
    if (active && main.contains(active) && active.closest("form")) {
      return true;
    }
    var fields = main.querySelectorAll("form input[type=text], form textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) {
        return true;
      }
    }
    return false;
  }

  // swap replaces the page's content with that of html, keeping which
  // <details> are open.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var old = document.querySelector("main");
    if (!fresh || !old) {
      return false;
    }
    var open = {};
    var keyOf = function (d) {
      var owner = d.closest("[id]");
      var summary = d.querySelector("summary");
      return (owner ? owner.id : "") + "|" + (summary ? summary.textContent : "");
    };
    old.querySelectorAll("details").forEach(function (d) {
      open[keyOf(d)] = d.open;
    });
    fresh.querySelectorAll("details").forEach(function (d) {
      var k = keyOf(d);
      if (Object.prototype.hasOwnProperty.call(open, k)) {
        d.open = open[k];
      }
    });
    old.replaceWith(document.adoptNode(fresh));
    var banner = document.getElementById("stale");
    var freshBanner = doc.getElementById("stale");
    if (banner && !freshBanner) {
      banner.remove();
    } else if (freshBanner && banner) {
      banner.replaceWith(document.adoptNode(freshBanner));
    } else if (freshBanner) {
      document.querySelector("main").before(document.adoptNode(freshBanner));
    }
    return true;
  }

  function poll() {
    if (busy) {
      return;
    }
    busy = true;
    fetch(statusURL, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.json();
      })
      .then(function (st) {
        failures = 0;
        setClass("offline", false);
        setClass("stale", !!st.stale);
        skew = Date.now() - Date.parse(st.now);
        var polled = document.getElementById("polled");
        if (polled && st.lastPoll) {
          polled.setAttribute("data-at", st.lastPoll);
        }
        if (version && st.version !== version && !editing()) {
          return fetch(location.href, { credentials: "same-origin", cache: "no-store" })
            .then(function (r) {
              if (!r.ok) {
                throw new Error("page " + r.status);
              }
              return r.text();
            })
            .then(function (html) {
              if (swap(html)) {
                version = st.version;
                body.setAttribute("data-version", version);
                tick();
              }
            });
        }
      })
      .catch(function () {
        failures++;
        if (failures >= 2) {
          setClass("offline", true);
        }
      })
      .then(function () {
        busy = false;
      });
  }

  tick();
  setInterval(tick, 1000);
  setInterval(poll, every);
})();
