// The study page's pre-flight panel follows a queued or running pre-flight by
// itself: it polls the status as JSON and, when it changes, takes the panel's
// new contents from the study page. The form below them, and anything typed
// there, stay as they are; the region is aria-live, so the change is read out.
(function () {
  "use strict";
  var ACTIVE = ["queued", "running"];

  var status = function () {
    return document.querySelector("#preflight [data-preflight-status]");
  };

  var refresh = function () {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("preflight-live");
        var live = document.getElementById("preflight-live");
        if (fresh && live) live.innerHTML = fresh.innerHTML;
      });
  };

  var poll = function () {
    var el = status();
    if (!el || ACTIVE.indexOf(el.getAttribute("data-preflight-status")) < 0) return;
    var seen = [el.getAttribute("data-preflight-run"), el.getAttribute("data-preflight-status"), el.getAttribute("data-preflight-progress") || ""].join("|");
    fetch(el.getAttribute("data-preflight-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        var run = data.run;
        if (!run) return null;
        var now = [String(run.id), run.status, run.status === "running" ? run.done + "/" + (run.total || "") + "/" + (run.current_url || "") : ""].join("|");
        return now === seen ? null : refresh();
      })
      .then(function () { window.setTimeout(poll, 2000); })
      .catch(function () { window.setTimeout(poll, 5000); });
  };
  window.setTimeout(poll, 2000);
})();
