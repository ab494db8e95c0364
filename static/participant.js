// uxlab participant pages: autosave answers, time tasks, record first clicks.
// Every form also works without JavaScript; this file only adds to them.

// Going to the page of the step the study is on now, only once it can be
// fetched: a page that navigated while the network is down would land on the
// browser's own error page and stay there. While it cannot, a "Reconnecting…"
// notice says so, and the move is tried again when the browser is back
// online and every 2 s.
const uxlabMoveOn = (function () {
  "use strict";
  // Set before a move the participant did not make: the next page then takes
  // them to its heading and says what changed, instead of starting at the top.
  const MOVED = "uxlab:moved";
  let arrived = false;
  try {
    arrived = sessionStorage.getItem(MOVED) === "1";
    sessionStorage.removeItem(MOVED);
  } catch (error) {
    arrived = false;
  }
  if (arrived) {
    const land = () => {
      const main = document.getElementById("main") || document.body;
      const heading = main.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
      const region = document.getElementById("live-announce");
      const status = main.querySelector("[data-moderated]");
      const text = status ? status.textContent.trim() : heading ? heading.textContent.trim() : "";
      // A moment after load, so assistive technology has seen the empty region.
      if (region && text) setTimeout(() => (region.textContent = text), 150);
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", land);
    else land();
  }
  let notice = null;
  let wanted = false;
  let trying = false;
  let timer = null;
  const show = (waiting) => {
    if (!notice) {
      notice = document.createElement("p");
      notice.className = "live-status";
      notice.setAttribute("role", "status");
      notice.textContent = "Reconnecting…";
      notice.hidden = true;
      (document.getElementById("main") || document.body).prepend(notice);
    }
    notice.hidden = !waiting;
  };
  const retryLater = () => {
    show(true);
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        attempt();
      }, 2000);
    }
  };
  const attempt = () => {
    if (!wanted || trying) return;
    if (navigator.onLine === false) {
      retryLater();
      return;
    }
    trying = true;
    const here = window.location.pathname;
    fetch(here, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then((response) => {
        if (response.status >= 500 || response.status === 429) throw new Error("server busy");
        if (navigator.onLine === false) throw new Error("offline");
        try {
          sessionStorage.setItem(MOVED, "1");
        } catch (error) {
          // Storage off: the new page opens at its top, as any page does.
        }
        window.location.assign(here);
      })
      .catch(() => {
        trying = false;
        retryLater();
      });
  };
  window.addEventListener("online", attempt);
  return {
    // Move on as soon as the next page can be fetched.
    go() {
      wanted = true;
      attempt();
    },
    // Show (or hide) the notice: the page cannot hear the session now.
    connected(ok) {
      show(!ok || (wanted && !trying));
    },
  };
})();

(function () {
  "use strict";

  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  // Send each form once: a double click or Enter plus click while the first
  // submit is on its way is dropped here (the server ignores it anyway).
  // Forms opening a new tab stay repeatable: Start again re-opens the site.
  const forms = document.querySelectorAll('form[method="post"]');
  forms.forEach((form) => {
    if (form.target === "_blank") return;
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitting) {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "1";
    });
  });
  window.addEventListener("pageshow", () => {
    forms.forEach((form) => delete form.dataset.submitting);
  });

  // ---------------------------------------------------------------- answers
  const status = document.querySelector("[data-save-status]");
  const show = (text) => {
    if (status) status.textContent = text;
  };

  const save = (form, input) => {
    const [questionnaire, item] = input.name.split(".");
    const value = input.type === "radio" ? Number(input.value) : input.value;
    show("Saving…");
    fetch(form.dataset.autosave, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify({ step: form.dataset.step, questionnaire, item, value }),
    })
      .then((response) =>
        response.json().then((body) => ({ response, body })),
      )
      .then(({ response, body }) => {
        if (response.ok) show("Saved");
        else if (response.status !== 409) show(body.message || "Not saved.");
      })
      .catch(() => show("Not saved yet: your answers are sent when you press Next."));
  };

  const autosaved = (input) =>
    input.name && input.name.includes(".") && (input.type === "radio" || input.value.trim() !== "");

  document.querySelectorAll("form[data-autosave]").forEach((form) => {
    form.addEventListener("change", (event) => {
      if (autosaved(event.target)) save(form, event.target);
    });
    // Answers given while this script was still on its way (a slow
    // connection shows the page first) are saved now.
    form.querySelectorAll("input, textarea").forEach((input) => {
      const changed =
        input.type === "radio" ? input.checked !== input.defaultChecked : input.value !== input.defaultValue;
      if (changed && autosaved(input) && (input.type !== "radio" || input.checked)) save(form, input);
    });
    // Resuming: bring the first unanswered question into view.
    const sets = Array.from(form.querySelectorAll("fieldset.scale"));
    const answered = sets.filter((set) => set.querySelector("input:checked"));
    const next = sets.find((set) => !set.querySelector("input:checked"));
    if (answered.length && next) {
      next.scrollIntoView({ block: "center" });
      next.querySelector("input").focus({ preventScroll: true });
    }
  });

  // ------------------------------------------------------------------ tasks
  const task = document.querySelector("[data-task]");
  if (!task) return;
  // Time on task is summed from performance.now() deltas, which no change of
  // the computer's clock moves (performance.timeOrigin does: a start time
  // taken from it can be hours off after a reload). The time spent on earlier
  // loads of this page is kept in sessionStorage and carried over a reload.
  const key = "uxlab:spent:" + location.pathname + ":" + task.dataset.task;
  let spent = null; // ms spent on earlier loads of this page; null before Start
  let mark = performance.now();
  try {
    const saved = sessionStorage.getItem(key);
    if (saved !== null && saved !== "") spent = Number(saved) || 0;
  } catch (error) {
    // Storage off: the server's own timing still counts.
  }
  const elapsed = () => spent + (performance.now() - mark);
  const keepSpent = () => {
    try {
      if (spent !== null) sessionStorage.setItem(key, String(Math.round(elapsed())));
    } catch (error) {
      // As above.
    }
  };
  // data-clock says whether this script's clock runs ("on") or waits for
  // Start ("ready"); a Start or an answer sent before the script ran is timed
  // by the server alone.
  const showClock = () => {
    task.dataset.clock = spent === null ? "ready" : "on";
  };
  const readStart = () => spent !== null;
  const writeStart = () => {
    spent = 0;
    mark = performance.now();
    keepSpent();
    showClock();
  };
  showClock();
  window.addEventListener("pagehide", keepSpent);
  document.addEventListener("visibilitychange", keepSpent);
  const fillDuration = (form) => {
    const input = form.querySelector('input[name="client_duration_ms"]');
    if (input && spent !== null) input.value = String(Math.max(1, Math.round(elapsed())));
  };

  const startForm = task.querySelector("form.start-form");
  const doneForm = task.querySelector("form.done-form");
  if (doneForm && task.dataset.started === "0") doneForm.hidden = true;
  // The site is open in another tab: this tab offers "I'm done".
  const offerDone = (focus) => {
    if (!startForm || startForm.target !== "_blank" || !doneForm) return;
    doneForm.hidden = false;
    startForm.querySelector("[data-start]").textContent = "Open the site again";
    const done = doneForm.querySelector("[data-done]");
    if (done && focus) done.focus();
  };
  if (startForm) {
    startForm.addEventListener("submit", () => {
      if (task.dataset.started === "0" || !readStart()) writeStart();
      task.dataset.started = "1";
      setTimeout(() => offerDone(true), 0);
    });
  }
  if (doneForm) doneForm.addEventListener("submit", () => fillDuration(doneForm));

  // A task the recorder can judge (or a time limit) may end while the site is
  // open in the other tab: ask every 2 s and move on when the step changes.
  // A Start pressed before this script ran (a slow page) is caught up with too.
  const statusUrl = task.dataset.status;
  if (statusUrl) {
    let asking = false;
    const ask = () => {
      if (asking) return;
      asking = true;
      fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => {
          if (body && body.step && body.step !== task.dataset.step) {
            uxlabMoveOn.go();
          } else if (body && body.started && task.dataset.started === "0") {
            if (!readStart()) writeStart();
            task.dataset.started = "1";
            offerDone(false);
          }
        })
        .catch(() => {})
        .finally(() => {
          asking = false;
        });
    };
    setInterval(ask, 2000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") ask();
    });
  }

  const clickForm = task.querySelector("form[data-first-click]");
  if (clickForm) {
    const image = clickForm.querySelector("img");
    image.addEventListener("click", (event) => {
      if (clickForm.dataset.submitting) return;
      const box = image.getBoundingClientRect();
      const clamp = (v) => Math.min(1, Math.max(0, v));
      clickForm.elements.x.value = clamp((event.clientX - box.left) / box.width).toFixed(4);
      clickForm.elements.y.value = clamp((event.clientY - box.top) / box.height).toFixed(4);
      fillDuration(clickForm);
      clickForm.requestSubmit();
    });
  }
})();

// Moderated sessions: follow the step the moderator sets. Server-sent events,
// with polling while the stream is down; a visible notice while reconnecting.
(function () {
  "use strict";
  const follow = document.querySelector('meta[name="uxlab-follow"]');
  if (!follow) return;
  const shown = follow.dataset.step;
  const shownPhase = follow.dataset.phase || "";
  const connected = (ok) => {
    // An open stream may still deliver while the browser is offline (see
    // moderator.js); the page cannot move then, so it is not connected.
    uxlabMoveOn.connected(ok && navigator.onLine !== false);
  };
  const apply = (state) => {
    if (!state || !state.step) return;
    // A new step, the task started or judged, or the session ended: show it.
    if (state.step !== shown || (state.phase || "") !== shownPhase || state.ended) {
      uxlabMoveOn.go();
    }
  };
  const poll = () =>
    fetch(follow.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response)))
      .then((state) => {
        connected(true);
        apply(state);
      })
      .catch(() => connected(false));
  let timer = null;
  let byeAt = 0;
  const connect = () => {
    if (!window.EventSource) {
      timer = setInterval(poll, 2000);
      return;
    }
    const source = new EventSource(follow.content);
    source.addEventListener("state", (event) => {
      connected(true);
      clearInterval(timer);
      timer = null;
      apply(JSON.parse(event.data));
    });
    source.addEventListener("bye", () => {
      byeAt = Date.now();
    });
    source.addEventListener("error", () => {
      if (Date.now() - byeAt < 3000) return; // the server ended the stream on purpose
      connected(false);
      if (!timer) timer = setInterval(poll, 2000);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
  };
  window.addEventListener("offline", () => connected(false));
  window.addEventListener("online", poll);
  connect();
})();

// Five-second tests: the image is shown for the time the page says, then
// hidden; the "Continue" button takes focus and the change is announced.
// Without JavaScript the page reloads itself when the time is over.
(function () {
  "use strict";
  const image = document.querySelector("[data-five-second-image]");
  if (!image) return;
  const showing = document.querySelector("[data-five-second-showing]");
  const after = document.querySelector("[data-five-second-after]");
  const status = document.querySelector("[data-five-second-status]");
  const wait = Math.max(0, parseInt(image.dataset.hideAfterMs, 10) || 0);
  // Focus on the image, so a screen reader reads its alt text at once.
  image.focus();
  const hide = () => {
    image.removeAttribute("src");
    if (showing) showing.remove();
    if (after) after.hidden = false;
    const heading = document.querySelector("[data-five-second-hidden-heading]");
    if (status && heading) status.textContent = heading.textContent.trim() + ".";
    const go = document.querySelector("[data-five-second-continue]");
    if (go) go.focus();
  };
  // The time runs from when the image is on screen, not from when the page
  // began to load (a slow connection would otherwise eat into it).
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    setTimeout(hide, wait);
  };
  if (image.complete) start();
  else {
    image.addEventListener("load", start);
    image.addEventListener("error", start);
  }
})();
