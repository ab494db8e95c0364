// uxlab moderator console and observer page: live state, controls, notes.
//
// The server is the source of truth. This page shows the latest state it has
// (from server-sent events, or polling while the stream is down) and sends
// every note and control action through an outbox kept in localStorage: each
// item has an id made here, so sending it twice (a retry, a second tab, a
// reload) stores it once. Items wait in the outbox while offline and are sent
// in order when the connection is back.
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const role = root.dataset.role;
  const moderator = role === "moderator";
  const urls = JSON.parse(root.dataset.urls);
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  let state = JSON.parse(document.getElementById("console-state").textContent);
  let offset = state.server_ms - Date.now(); // the server's clock minus ours
  const serverNow = () => Date.now() + offset;

  const $ = (selector) => document.querySelector(selector);
  const connection = $("#connection");
  const taskList = $("#task-list");
  const noteForm = $("#note-form");
  const noteText = $("#note-text");
  const noteList = $("#note-list");
  const participantState = $("#participant-state");
  const taskTimer = $("#task-timer");
  const sessionTimer = $("#session-timer");
  const message = $("#control-message");
  const reason = $("#reason");

  const newId = () => {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const part = () => Math.random().toString(36).slice(2, 10);
    return Date.now().toString(36) + "-" + part() + part() + part();
  };

  const clock = (ms) => {
    if (ms === null || ms === undefined || isNaN(ms)) return "0:00";
    const sign = ms < 0 ? "-" : "";
    let seconds = Math.floor(Math.abs(ms) / 1000);
    const hours = Math.floor(seconds / 3600);
    seconds -= hours * 3600;
    const minutes = Math.floor(seconds / 60);
    const secs = String(seconds - minutes * 60).padStart(2, "0");
    if (hours) return sign + hours + ":" + String(minutes).padStart(2, "0") + ":" + secs;
    return sign + minutes + ":" + secs;
  };

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    children.forEach((child) => {
      if (child === null || child === undefined) return;
      node.append(child instanceof Node ? child : document.createTextNode(child));
    });
    return node;
  };

  // ------------------------------------------------------------------ outbox
  // One localStorage key per item, so tabs never overwrite each other's queue.
  const prefix = "uxlab:outbox:" + urls.notes + ":";
  const memory = new Map(); // when localStorage is unavailable
  let counter = 0;

  const outbox = () => {
    const items = [];
    try {
      for (let i = 0; i < localStorage.length; i += 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(prefix)) items.push(JSON.parse(localStorage.getItem(key)));
      }
    } catch (error) {
      memory.forEach((item) => items.push(item));
    }
    return items.sort((a, b) => a.at - b.at || a.n - b.n);
  };
  const keep = (item) => {
    memory.set(item.id, item);
    try {
      localStorage.setItem(prefix + item.id, JSON.stringify(item));
    } catch (error) {
      // Storage full or off: the in-memory copy still goes out.
    }
  };
  const drop = (id) => {
    memory.delete(id);
    try {
      localStorage.removeItem(prefix + id);
    } catch (error) {
      // Nothing stored.
    }
  };

  // Tabs share the outbox, but each sends its own items and hears their
  // replies; another tab's item is sent here only once it has waited a while
  // (its tab was closed before it could).
  const tabId = newId();
  const ORPHANED_MS = 5000;
  const sendsHere = (item) => !item.tab || item.tab === tabId || Date.now() - item.at > ORPHANED_MS;

  const enqueue = (kind, body) => {
    // A note's edits and deletions are keyed by tab too: two tabs editing the
    // same version must not overwrite each other's queued item.
    const id = kind === "note" ? body.note_id + ":" + (body.op === "create" ? "c" : body.version + body.op + ":" + tabId) : body.action_id;
    counter += 1;
    keep({ id, kind, body, at: Date.now(), n: counter, tab: tabId });
    render();
    flush();
  };

  let flushing = false;
  let retryTimer = null;
  let backoff = 1000;

  const scheduleRetry = () => {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flush();
    }, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };

  const send = (item) =>
    fetch(item.kind === "note" ? urls.notes : urls.control, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify(item.body),
    });

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const item = outbox().find(sendsHere);
        if (!item) break;
        let response;
        let body = {};
        try {
          response = await send(item);
          body = await response.json().catch(() => ({}));
        } catch (error) {
          setConnected(false);
          scheduleRetry();
          return;
        }
        if (response.status >= 500 || response.status === 429) {
          scheduleRetry();
          return;
        }
        if (response.status === 401) {
          // Logged out: keep everything here until the moderator logs in again.
          say("Your login has expired: log in again in another tab. Nothing typed here is lost.");
          scheduleRetry();
          return;
        }
        drop(item.id);
        backoff = 1000;
        reply(item, response, body);
      }
    } finally {
      flushing = false;
      render();
    }
  }

  // Another tab's outbox changes show here at once (an item sent, dropped).
  window.addEventListener("storage", (event) => {
    if (event.key === null || event.key.startsWith(prefix)) render();
  });

  // What another tab left unsent when it closed goes out from here.
  setInterval(() => {
    if (outbox().length) flush();
  }, ORPHANED_MS);

  const say = (text) => {
    if (message) message.textContent = text;
  };

  const mergeNote = (note) => {
    if (!note) return;
    const notes = state.notes.filter((n) => n.note_id !== note.note_id);
    const old = state.notes.find((n) => n.note_id === note.note_id);
    if (old && old.version > note.version) return;
    if (!note.deleted) notes.push(note);
    notes.sort((a, b) => a.session_ms - b.session_ms);
    state.notes = notes;
  };

  const reply = (item, response, body) => {
    const mine = !item.tab || item.tab === tabId;
    if (item.kind === "control") {
      if (body.state) apply(body.state);
      if (!mine) return; // its own tab would have said; that tab is gone
      if (response.ok) {
        if (item.body.action === "next" && !body.applied) say("They had already moved on.");
        else if (item.body.action === "next") say("Moved them on to " + state.participant.step_label + ".");
        else say("");
      } else {
        // Unanswered items on the participant's page: the next n confirms.
        if (item.body.action === "next" && body.error === "unanswered") {
          partialArmed = { step: item.body.from_step, at: Date.now() };
        }
        say(body.message || "That did not work (" + response.status + ").");
      }
      return;
    }
    if (response.ok) {
      mergeNote(body.note);
    } else if (response.status === 409 && body.note) {
      mergeNote(body.note);
      if (mine && item.body.op === "edit" && !body.note.deleted) {
        // Nothing typed is lost: the edit goes back in its box, beside the
        // version saved elsewhere meanwhile, to merge.
        render();
        openEditor(item.body.note_id, { text: item.body.text, tag: item.body.tag, other: body.note });
        return;
      }
      say("A note changed elsewhere; this is the latest version.");
      notesMessage("That note changed elsewhere; showing the latest version.");
    } else {
      notesMessage(body.message || "The note was not saved (" + response.status + ").");
    }
  };

  const notesMessage = (text) => {
    const help = $("#note-help");
    if (help) {
      help.textContent = text;
      help.classList.add("error");
    }
  };

  // -------------------------------------------------------------- the state
  const apply = (next) => {
    if (!next || next.version < state.version) return; // older than what we show
    if (typeof next.server_ms === "number") offset = next.server_ms - Date.now();
    state = next;
    render();
  };

  const currentTask = () =>
    state.current_task === null || state.current_task === undefined
      ? null
      : state.tasks[state.current_task] || null;

  const taskTitle = (id) => {
    const task = state.tasks.find((t) => t.id === id);
    return task ? task.title : "";
  };

  // Control actions still in the outbox, by task: shown as they will be.
  const pendingControls = () => {
    const byTask = new Map();
    outbox()
      .filter((item) => item.kind === "control" && item.body.task_id !== undefined)
      .forEach((item) => byTask.set(item.body.task_id, item.body));
    return byTask;
  };

  // A task as the moderator left it: a start or an outcome not sent yet
  // counts from the time it was pressed.
  const shownTask = (task, pending) => {
    const action = pending.get(task.id);
    if (!action) return { ...task, unsent: false };
    if (action.action === "outcome") {
      return {
        ...task,
        state: "judged",
        outcome: action.outcome,
        reason: action.reason || task.reason,
        ended_ms: task.ended_ms || action.at_ms,
        unsent: true,
      };
    }
    if (action.action === "start" && task.state === "waiting") {
      return { ...task, state: "running", started_ms: action.at_ms, unsent: true };
    }
    return { ...task, unsent: false };
  };

  const renderTasks = () => {
    const pending = pendingControls();
    taskList.replaceChildren(
      ...state.tasks.map((original) => {
        const task = shownTask(original, pending);
        const badge = task.outcome
          ? el("span", { class: "outcome outcome-" + task.outcome, text: task.outcome })
          : el("span", { class: "muted", text: task.state === "running" ? "running" : "" });
        return el(
          "li",
          {
            class: "task-row" + (task.current ? " current" : "") + (task.unsent ? " is-pending" : ""),
            "data-task": task.key,
            "data-state": task.unsent ? "pending" : task.state,
            "aria-current": task.current ? "step" : null,
          },
          el("span", { class: "task-title", text: task.title }),
          " ",
          badge,
          task.reason ? el("span", { class: "muted task-reason", text: " — " + task.reason }) : null,
          task.unsent ? el("span", { class: "pending", text: " not sent yet" }) : null,
        );
      }),
    );
  };

  // Whether the participant's page is open, and when it last reached us.
  const presence = () => {
    const p = state.participant;
    if (p.connected) return "Connected";
    if (!p.seen_ms) return "Not connected";
    return "Not connected · last seen " + clock(serverNow() - p.seen_ms) + " ago";
  };

  const renderParticipant = () => {
    const p = state.participant;
    const rows = [];
    const row = (term, value) => rows.push(el("div", {}, el("dt", { text: term }), el("dd", {}, value)));
    if (!p.present) {
      row("Status", "Has not opened their link yet");
    } else {
      row("Page", el("span", { "data-presence": "", text: presence() }));
      row("Code", p.code);
      row("Consent", p.consented ? "Given" : "Not yet");
      row(p.connected ? "Now on" : "Was on", el("span", { "data-participant-step": p.step, text: p.step_label }));
      row("Progress", p.progress + "%");
      if (p.last_page) row("Last page", el("code", { text: p.last_page.url }));
      if (p.last_click) row("Last click", p.last_click.label);
    }
    participantState.replaceChildren(...rows);
  };

  const pendingNotes = () => {
    const creates = [];
    const changes = new Map();
    outbox()
      .filter((item) => item.kind === "note")
      .forEach((item) => {
        if (item.body.op === "create") creates.push(item.body);
        else changes.set(item.body.note_id, item.body);
      });
    return { creates, changes };
  };

  let editing = null; // note_id being edited in place

  const noteItem = (note, pending) => {
    const tag = state.tags[note.tag] || note.tag;
    const parts = [
      el("span", { class: "note-time", text: clock(note.session_ms) }),
      " ",
      el("span", { class: "tag tag-" + note.tag, text: tag }),
      " ",
      el("span", { class: "note-text", text: note.text }),
      el(
        "span",
        { class: "muted note-meta" },
        " — " + (note.author || "you") + (note.task_id ? " · " + taskTitle(note.task_id) : ""),
      ),
    ];
    if (pending) parts.push(el("span", { class: "pending", text: " Not sent yet" }));
    if (note.mine && !pending) {
      parts.push(
        " ",
        el("button", { type: "button", class: "link", "data-edit": note.note_id, text: "Edit" }),
        " ",
        el("button", { type: "button", class: "link danger", "data-delete": note.note_id, text: "Delete" }),
      );
    }
    return el("li", { class: "note" + (pending ? " is-pending" : ""), "data-note": note.note_id, "data-tag": note.tag }, ...parts);
  };

  const renderNotes = () => {
    const { creates, changes } = pendingNotes();
    const editor = editing ? noteList.querySelector('[data-editor="' + editing + '"]') : null;
    const items = [];
    state.notes.forEach((note) => {
      const change = changes.get(note.note_id);
      if (change && change.op === "delete") return;
      if (editor && note.note_id === editing) {
        items.push(editor);
        return;
      }
      const shown = change ? { ...note, text: change.text, tag: change.tag } : note;
      items.push(noteItem(shown, Boolean(change)));
    });
    const known = new Set(state.notes.map((n) => n.note_id));
    creates
      .filter((body) => !known.has(body.note_id))
      .forEach((body) => {
        const ms = state.session.started_ms ? body.at_ms - state.session.started_ms : 0;
        items.push(noteItem({ ...body, session_ms: ms, mine: true, author: "" }, true));
      });
    items.reverse(); // newest first
    noteList.replaceChildren(...items);
  };

  const renderControls = () => {
    const endedBanner = root.querySelector("[data-ended]");
    if (endedBanner) endedBanner.hidden = !state.session.ended_ms;
    if (!moderator) return;
    const task = currentTask();
    const p = state.participant;
    const ended = Boolean(state.session.ended_ms);
    const onTask = task && p.present && p.step === "task:" + task.index;
    root.querySelector('[data-action="start"]').disabled = ended || !(onTask && task.state === "waiting");
    root.querySelectorAll("[data-outcome]").forEach((button) => {
      button.disabled = ended || !task || !p.present;
    });
    const nextButton = root.querySelector('[data-action="next"]');
    nextButton.disabled = ended || !state.next_step;
    root.querySelector("[data-next-label]").textContent = state.next_step
      ? "Next: " + state.next_step.label
      : "Next step";
    root.querySelector('[data-action="end"]').disabled = Boolean(state.session.ended_ms);
  };

  const renderConnection = () => {
    const waiting = outbox().length;
    if (!online) {
      connection.hidden = false;
      connection.className = "live-status is-offline";
      connection.textContent =
        "Reconnecting…" + (waiting ? " " + waiting + " change" + (waiting === 1 ? "" : "s") + " waiting to be sent." : "");
    } else if (waiting) {
      connection.hidden = false;
      connection.className = "live-status";
      connection.textContent = "Sending " + waiting + " change" + (waiting === 1 ? "" : "s") + "…";
    } else {
      connection.hidden = true;
      connection.textContent = "";
    }
  };

  const render = () => {
    renderTasks();
    renderParticipant();
    renderNotes();
    renderControls();
    renderConnection();
    tick();
  };

  const tick = () => {
    const current = currentTask();
    const task = current ? shownTask(current, pendingControls()) : null;
    let elapsed = 0;
    if (task && task.started_ms) elapsed = (task.ended_ms || serverNow()) - task.started_ms;
    taskTimer.textContent = clock(elapsed);
    const shown = participantState.querySelector("[data-presence]");
    if (shown) shown.textContent = presence();
    const s = state.session;
    sessionTimer.textContent = s.started_ms ? clock((s.ended_ms || serverNow()) - s.started_ms) : "0:00";
  };
  setInterval(tick, 250);

  // ------------------------------------------------------------- connection
  let online = navigator.onLine !== false;
  let source = null;
  let pollTimer = null;
  let byeAt = 0;

  function setConnected(ok) {
    // While the browser says it is offline, a stream still delivering what
    // was sent before does not make it connected: changes cannot go out.
    ok = ok && navigator.onLine !== false;
    if (online !== ok) {
      online = ok;
      renderConnection();
    }
  }

  const poll = () =>
    fetch(urls.state, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response)))
      .then((next) => {
        setConnected(true);
        apply(next);
        flush();
        if (source && source.readyState === 1) stopPolling();
      })
      .catch(() => setConnected(false));

  const startPolling = () => {
    if (!pollTimer) pollTimer = setInterval(poll, 2000);
  };
  const stopPolling = () => {
    clearInterval(pollTimer);
    pollTimer = null;
  };

  const connect = () => {
    if (!window.EventSource) {
      startPolling();
      return;
    }
    source = new EventSource(urls.stream);
    source.addEventListener("state", (event) => {
      setConnected(true);
      stopPolling();
      apply(JSON.parse(event.data));
    });
    source.addEventListener("bye", () => {
      byeAt = Date.now();
    });
    source.addEventListener("open", () => {
      setConnected(true);
      flush();
    });
    source.addEventListener("error", () => {
      if (Date.now() - byeAt < 3000) return; // the server ended the stream on purpose
      setConnected(false);
      startPolling();
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(connect, 3000);
      }
    });
  };

  window.addEventListener("online", () => {
    poll();
    flush();
  });
  window.addEventListener("offline", () => setConnected(false));

  // ---------------------------------------------------------------- actions
  const act = (action, extra) => {
    if (!moderator) return;
    // The time it was pressed goes with it: sent later, it still counts then.
    enqueue("control", { action_id: newId(), action, at_ms: Math.round(serverNow()), ...extra });
  };
  // Start and next ask for a second press when nobody is on the
  // participant's page to see them.
  let unseenArmed = { what: "", at: 0 };
  const someoneThere = (what, key) => {
    const p = state.participant;
    if (!p.present || p.connected) return true;
    if (unseenArmed.what === what && Date.now() - unseenArmed.at < 6000) {
      unseenArmed = { what: "", at: 0 };
      return true;
    }
    unseenArmed = { what, at: Date.now() };
    say(
      "Nobody is on the participant's page (" + presence().toLowerCase() + "). Press " +
        key + " again to " + what + " anyway.",
    );
    return false;
  };
  const start = () => {
    const task = currentTask();
    if (task && someoneThere("start", "s")) act("start", { task_id: task.id });
  };
  const judge = (outcome) => {
    const task = currentTask();
    if (!task) return;
    act("outcome", { task_id: task.id, outcome, reason: reason ? reason.value.trim() : "" });
    if (reason) reason.value = "";
  };
  let partialArmed = { step: null, at: 0 };
  const next = () => {
    if (!state.next_step || !someoneThere("move on", "n")) return;
    const from = state.participant.step;
    const confirm = partialArmed.step === from && Date.now() - partialArmed.at < 10000;
    partialArmed = { step: null, at: 0 };
    act("next", { from_step: from, confirm_partial: confirm });
  };
  let endArmed = 0;
  const end = () => {
    if (Date.now() - endArmed < 4000) {
      endArmed = 0;
      act("end", {});
    } else {
      endArmed = Date.now();
      say("Press x (or End session) again to end the session.");
    }
  };

  if (moderator) {
    root.querySelector('[data-action="start"]').addEventListener("click", start);
    root.querySelector('[data-action="next"]').addEventListener("click", next);
    root.querySelector('[data-action="end"]').addEventListener("click", end);
    root.querySelectorAll("[data-outcome]").forEach((button) => {
      button.addEventListener("click", () => judge(button.dataset.outcome));
    });
  }

  // ------------------------------------------------------------------ notes
  // A tag is picked outside the note box (its key) or inside it (Alt and its
  // key), never by a letter typed in the box: everything typed there is kept.
  let typedAt = null; // when the note being typed was started (server clock)
  const chip = $("#note-tag-chip");
  // The tag the page was served with checked (the study's first): the state's
  // own keys arrive sorted.
  const firstTag = noteForm.querySelector('input[name="tag"]:checked');
  const defaultTag = () => (firstTag ? firstTag.value : Object.keys(state.tags)[0]);

  const chosenTag = () => {
    const checked = noteForm.querySelector('input[name="tag"]:checked');
    return checked ? checked.value : defaultTag();
  };
  const showChip = () => {
    if (!chip) return;
    const key = chosenTag();
    const label = state.tags[key] || key;
    chip.hidden = key === defaultTag();
    const shown = chip.querySelector("[data-chip-label]");
    shown.textContent = label;
    shown.className = "tag tag-" + key;
    chip.querySelector("[data-chip-remove]").setAttribute("aria-label", "Remove the tag " + label);
  };
  const pickTag = (key) => {
    const input = noteForm.querySelector('input[name="tag"][value="' + CSS.escape(key) + '"]');
    if (input) input.checked = true;
    showChip();
  };
  noteForm.addEventListener("change", showChip);
  if (chip) {
    chip.querySelector("[data-chip-remove]").addEventListener("click", () => {
      pickTag(defaultTag());
      noteText.focus();
    });
  }

  noteText.addEventListener("input", () => {
    if (noteText.value !== "" && typedAt === null) typedAt = serverNow();
    if (noteText.value === "") typedAt = null;
  });

  const addNote = () => {
    const text = noteText.value.trim();
    if (!text) return;
    const task = currentTask();
    enqueue("note", {
      op: "create",
      note_id: newId(),
      tag: chosenTag(),
      text,
      task_id: task ? task.id : null,
      at_ms: Math.round(typedAt === null ? serverNow() : typedAt),
    });
    noteText.value = "";
    typedAt = null;
    pickTag(defaultTag()); // each note picks its own tag
  };
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    addNote();
    noteText.focus();
  });

  noteList.addEventListener("click", (event) => {
    const editId = event.target.dataset.edit;
    const deleteId = event.target.dataset.delete;
    if (deleteId) {
      const note = state.notes.find((n) => n.note_id === deleteId);
      if (note) enqueue("note", { op: "delete", note_id: note.note_id, version: note.version });
    } else if (editId) {
      openEditor(editId);
    }
  });

  // draft: what was typed before ({text, tag}), and the version saved
  // elsewhere that refused it ({other}), shown to merge with.
  const openEditor = (noteId, draft) => {
    const note = state.notes.find((n) => n.note_id === noteId);
    const item = noteList.querySelector('[data-note="' + CSS.escape(noteId) + '"]');
    if (!note || !item) return;
    editing = noteId;
    const tag = draft ? draft.tag : note.tag;
    const select = el("select", { "aria-label": "Tag" });
    Object.entries(state.tags).forEach(([key, label]) => {
      select.append(el("option", { value: key, selected: key === tag, text: label }));
    });
    const area = el("textarea", { rows: "2", "aria-label": "Edit note", maxlength: "5000" });
    area.value = draft ? draft.text : note.text;
    const save = el("button", { type: "submit", class: "primary small", text: "Save" });
    const cancel = el("button", { type: "button", class: "small", text: "Cancel" });
    const conflict = draft && draft.other
      ? el(
          "p",
          { class: "conflict", "data-conflict": "", role: "alert" },
          "Saved elsewhere meanwhile: ",
          el("q", { text: draft.other.text }),
          " (" + (state.tags[draft.other.tag] || draft.other.tag) + "). Your text is below: merge the two and save, or Cancel to keep that one.",
        )
      : null;
    const form = el("form", { class: "note-editor" }, conflict, select, area, save, cancel);
    const editor = el("li", { class: "note editing", "data-editor": noteId }, form);
    const close = () => {
      editing = null;
      render();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = area.value.trim();
      const latest = state.notes.find((n) => n.note_id === noteId) || note;
      editing = null;
      if (text && (text !== latest.text || select.value !== latest.tag)) {
        enqueue("note", { op: "edit", note_id: noteId, version: note.version, tag: select.value, text });
      } else {
        render();
      }
    });
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    item.replaceWith(editor);
    area.focus();
  };

  // --------------------------------------------------------------- keyboard
  const isTyping = (target) =>
    target instanceof Element &&
    target.matches(
      "textarea, select, [contenteditable], input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])",
    );
  const shortcuts = $("#shortcuts");

  // The tag a key names, Alt or not: Alt+c may type "ç", its code is KeyC.
  const tagOfKey = (event) => {
    if (!event.altKey) return event.key;
    const code = event.code || "";
    if (code.startsWith("Key")) return code.slice(3).toLowerCase();
    if (code.startsWith("Digit")) return code.slice(5);
    return event.key;
  };

  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      const tag = tagOfKey(event);
      if (tag.length === 1 && tag in state.tags) {
        event.preventDefault();
        pickTag(tag);
        if (document.activeElement !== noteText) noteText.focus();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    const target = event.target;
    if (target === noteText && key === "Enter" && !event.shiftKey) {
      // Saved: back to the shortcuts, so the next key judges or moves on
      // instead of starting another note (/ opens the box again).
      event.preventDefault();
      addNote();
      noteText.blur();
      return;
    }
    if (isTyping(target)) {
      if (key === "Escape") target.blur();
      return;
    }
    const actions = {
      "/": () => noteText.focus(),
      "?": () => shortcuts && shortcuts.toggleAttribute("hidden"),
    };
    if (moderator) {
      Object.assign(actions, {
        s: start,
        1: () => judge("success"),
        2: () => judge("partial"),
        3: () => judge("failure"),
        0: () => judge("skipped"),
        n: next,
        x: end,
        r: () => reason && reason.focus(),
      });
    }
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    } else if (key.length === 1 && key in state.tags) {
      event.preventDefault();
      pickTag(key);
      noteText.focus();
    }
  });

  render();
  connect();
  flush();
})();
