// Live progress of an audit project's runs: poll while any run is queued or running.
(function () {
  "use strict";
  var table = document.querySelector("table[data-runs-url]");
  if (!table) return;
  var url = table.getAttribute("data-runs-url");
  var active = function () {
    return table.querySelectorAll('tr[data-status="queued"], tr[data-status="running"]').length > 0;
  };
  var poll = function () {
    if (!active()) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var reload = false;
        data.runs.forEach(function (run) {
          var row = table.querySelector('tr[data-run="' + run.id + '"]');
          if (!row) { reload = true; return; }
          var was = row.getAttribute("data-status");
          if (was !== run.status && (run.status !== "running" || was !== "queued")) reload = true;
          row.setAttribute("data-status", run.status);
          var status = row.querySelector('[data-field="status"]');
          status.textContent = run.status;
          status.className = "run-status status-" + run.status;
          var progress = row.querySelector('[data-field="progress"]');
          if (run.status === "running") {
            progress.textContent = run.done + " / " + (run.total || "?") + " task runs" +
              (run.current_url ? " · " + run.current_url : "");
          }
        });
        if (reload) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  };
  window.setTimeout(poll, 2000);
})();
