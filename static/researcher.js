// uxlab researcher pages: copy-link buttons, live progress refresh, local times.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP LAN deployments have no Clipboard API: fall back to a selection.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy failed"));
      }
    });
  }

  function setUpCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) {
        return;
      }
      var label = button.innerHTML;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(target.textContent.trim()).then(
          function () {
            button.textContent = "Copied";
          },
          function () {
            button.textContent = "Select and copy by hand";
          },
        );
        window.setTimeout(function () {
          button.innerHTML = label;
        }, 2500);
      });
    });
  }

  function setUpProgress() {
    var section = document.getElementById("progress");
    if (!section || !section.hasAttribute("data-refresh")) {
      return;
    }
    var url = section.getAttribute("data-progress-url");
    var seconds = parseInt(section.getAttribute("data-refresh"), 10) || 10;
    var updated = section.querySelector("[data-updated]");

    function show(data) {
      ["started", "consented", "finished", "declined"].forEach(function (name) {
        var cell = section.querySelector('[data-count="' + name + '"]');
        if (cell) {
          cell.textContent = String(data[name]);
        }
      });
      (data.tasks || []).forEach(function (task) {
        var row = section.querySelector('tr[data-task="' + task.id + '"]');
        if (!row) {
          return;
        }
        var values = Object.assign({}, task.outcomes, {
          in_progress: task.in_progress,
          attempts: task.attempts,
        });
        Object.keys(values).forEach(function (key) {
          var cell = row.querySelector('[data-outcome="' + key + '"]');
          if (cell) {
            cell.textContent = String(values[key]);
          }
        });
      });
      if (updated) {
        updated.textContent =
          "Updated " + new Date().toLocaleTimeString() + "; updates every " + seconds + " seconds.";
      }
    }

    function refresh() {
      if (document.hidden) {
        return;
      }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(show)
        .catch(function () {
          if (updated) {
            updated.textContent = "Could not update the counts; retrying.";
          }
        });
    }

    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", refresh);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function zoneName(date) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(date);
      var zone = parts.filter(function (p) {
        return p.type === "timeZoneName";
      })[0];
      return zone ? zone.value : "";
    } catch (e) {
      return "";
    }
  }

  // Times the server keeps in UTC, shown in the reader's time zone.
  function setUpLocalTimes() {
    var times = document.querySelectorAll("time[data-local-time]");
    Array.prototype.forEach.call(times, function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) {
        return;
      }
      el.title = el.textContent;
      el.textContent =
        date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
        " " + pad(date.getHours()) + ":" + pad(date.getMinutes()) + " " + zoneName(date);
    });
    // A time entered here is in the researcher's zone; the form sends that
    // moment's offset from UTC with it (without scripts the time is UTC).
    var inputs = document.querySelectorAll("input[data-utc-offset]");
    Array.prototype.forEach.call(inputs, function (input) {
      var offset = document.getElementById(input.getAttribute("data-utc-offset"));
      var hint = document.getElementById(input.id + "-hint");
      if (!offset || !input.form) {
        return;
      }
      if (hint) {
        var zone = "";
        try {
          zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
        } catch (e) {
          zone = "";
        }
        hint.textContent = "In your time zone" + (zone ? " (" + zone + ")" : "") + ".";
      }
      input.form.addEventListener("submit", function () {
        var date = input.value ? new Date(input.value) : null;
        offset.value = date && !isNaN(date.getTime()) ? String(date.getTimezoneOffset()) : "";
      });
    });
  }

  setUpCopyButtons();
  setUpProgress();
  setUpLocalTimes();
})();
