/* Card sort: drag and drop (mouse, pen and touch through pointer events) and
 * a keyboard alternative (select a card, choose its group, Move). Every move
 * saves the whole sort to the server, which is where a reload restores it from.
 * No framework; loaded as a file (the participant pages allow no inline script). */
(function () {
  "use strict";

  const root = document.getElementById("card-sort");
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const fold = (name) => name.replace(/\s+/g, " ").trim().toLowerCase();
  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  const sortType = root.dataset.sortType;
  const allowUnknown = root.dataset.allowUnknown === "1";
  const requireAll = root.dataset.requireAll === "1";
  const preset = JSON.parse(root.dataset.categories || "[]");
  const presetFolded = new Set(preset.map(fold));
  const canCreate = sortType !== "closed";

  // Every card's element, by id, in the order the participant was dealt them.
  const items = new Map();
  const dealt = [];
  document.querySelectorAll("#cs-pile > .cs-item").forEach((li) => {
    items.set(li.dataset.card, li);
    dealt.push(li.dataset.card);
  });
  const label = (id) => items.get(id).querySelector(".cs-text").textContent.trim();

  // The state: groups (name, cards) in order, and the cards put aside.
  // Each group has a client-side key so that its elements survive a rename.
  let nextKey = 1;
  const start = JSON.parse(root.dataset.state || "{}");
  const state = {
    groups: (start.groups || []).map((g) => ({
      key: nextKey++,
      name: g.name,
      cards: g.cards.filter((c) => items.has(c)),
    })),
    unknown: (start.unknown || []).filter((c) => items.has(c)),
  };

  const announcer = $("cs-announce");
  const announce = (text) => {
    // Cleared first, so the same words said twice are announced twice.
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  };
  const errorBox = $("cs-error");
  const showError = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  };

  const placeOf = (card) => {
    for (const g of state.groups) if (g.cards.includes(card)) return g;
    if (state.unknown.includes(card)) return "unknown";
    return "pile";
  };
  const unsorted = () => dealt.filter((c) => placeOf(c) === "pile");
  const groupByKey = (key) => state.groups.find((g) => String(g.key) === String(key));

  const newName = () => {
    const taken = new Set(state.groups.map((g) => fold(g.name)));
    let i = state.groups.length + 1;
    while (taken.has(fold(`Group ${i}`))) i += 1;
    return `Group ${i}`;
  };

  const nameProblem = (group, name) => {
    if (!fold(name)) return "A group needs a name.";
    const clash = state.groups.find((g) => g !== group && fold(g.name) === fold(name));
    if (clash) return `There is already a group called ${clash.name}.`;
    return "";
  };

  // ------------------------------------------------------------- saving
  const field = $("cs-sort-field");
  const savedNote = $("cs-saved");
  let sending = false;
  let again = false;
  const payload = () => ({
    groups: state.groups.map((g) => ({ name: g.name, cards: g.cards.slice() })),
    unknown: state.unknown.slice(),
  });
  const save = () => {
    field.value = JSON.stringify(payload());
    if (state.groups.some((g) => nameProblem(g, g.name))) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    savedNote.textContent = "Saving…";
    fetch(root.dataset.save, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ step: root.dataset.step, sort: payload() }),
    })
      .then((response) => response.json().then((body) => ({ response, body })))
      .then(({ response, body }) => {
        if (response.ok) {
          savedNote.textContent = "Your sort so far is saved.";
          showError("");
        } else if (response.status !== 409) {
          savedNote.textContent = "Not saved.";
          showError(body.message || "Your sort could not be saved.");
        }
      })
      .catch(() => {
        savedNote.textContent = "Not saved yet: your sort is sent when you finish.";
      })
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          save();
        }
      });
  };

  // ------------------------------------------------------------ drawing
  const list = $("cs-group-list");
  const groupElements = new Map();

  const groupElement = (group) => {
    let el = groupElements.get(group.key);
    if (el) return el;
    const isPreset = presetFolded.has(fold(group.name)) && !group.created;
    el = document.createElement("section");
    el.className = "cs-group cs-zone";
    el.dataset.drop = "group";
    el.dataset.key = String(group.key);
    const head = document.createElement("div");
    head.className = "cs-group-head";
    const headingId = `cs-group-${group.key}`;
    if (isPreset || !canCreate) {
      const h = document.createElement("h3");
      h.id = headingId;
      h.textContent = group.name;
      head.appendChild(h);
    } else {
      const input = document.createElement("input");
      input.type = "text";
      input.id = headingId;
      input.className = "cs-name";
      input.maxLength = 80;
      input.value = group.name;
      input.setAttribute("aria-label", "Group name");
      input.addEventListener("change", () => rename(group, input));
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          input.blur();
          rename(group, input);
        }
      });
      head.appendChild(input);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "cs-delete";
      remove.textContent = "Delete group";
      remove.addEventListener("click", () => deleteGroup(group));
      head.appendChild(remove);
    }
    const count = document.createElement("span");
    count.className = "cs-count";
    head.appendChild(count);
    el.appendChild(head);
    const ul = document.createElement("ul");
    ul.className = "cs-cards";
    ul.setAttribute("aria-labelledby", headingId);
    el.appendChild(ul);
    const hint = document.createElement("p");
    hint.className = "cs-empty hint";
    hint.textContent = "Drop cards here";
    el.appendChild(hint);
    groupElements.set(group.key, el);
    return el;
  };

  const draw = () => {
    const pile = $("cs-pile");
    unsorted().forEach((c) => pile.appendChild(items.get(c)));
    $("cs-pile-count").textContent = String(unsorted().length);
    for (const [key, el] of groupElements) {
      if (!groupByKey(key)) {
        el.remove();
        groupElements.delete(key);
      }
    }
    state.groups.forEach((g) => {
      const el = groupElement(g);
      list.appendChild(el);
      const ul = el.querySelector("ul");
      g.cards.forEach((c) => ul.appendChild(items.get(c)));
      el.querySelector(".cs-count").textContent = `${g.cards.length} card${g.cards.length === 1 ? "" : "s"}`;
      el.classList.toggle("is-empty", g.cards.length === 0);
    });
    const unknown = $("cs-unknown");
    if (unknown) state.unknown.forEach((c) => unknown.appendChild(items.get(c)));
    root.classList.toggle("cs-all-sorted", unsorted().length === 0);
  };

  // -------------------------------------------------------------- moving
  const take = (card) => {
    state.groups.forEach((g) => {
      g.cards = g.cards.filter((c) => c !== card);
    });
    state.unknown = state.unknown.filter((c) => c !== card);
  };

  const left = () => {
    const n = unsorted().length;
    return n === 0 ? "All cards are sorted." : `${n} card${n === 1 ? "" : "s"} left to sort.`;
  };

  const createGroup = (name) => {
    const group = { key: nextKey++, name, cards: [], created: true };
    state.groups.push(group);
    return group;
  };

  // target: "pile", "unknown", "new" or a group key. Returns the group moved to.
  const moveCard = (card, target, name) => {
    let where;
    take(card);
    if (target === "unknown") {
      state.unknown.push(card);
      where = "I don't know these cards";
    } else if (target === "pile") {
      where = "Cards to sort";
    } else {
      const group = target === "new" ? createGroup(name || newName()) : groupByKey(target);
      group.cards.push(card);
      where = group.name;
    }
    draw();
    save();
    announce(`Moved ${label(card)} to ${where}. ${left()}`);
  };

  const rename = (group, input) => {
    const name = input.value.replace(/\s+/g, " ").trim();
    const problem = nameProblem(group, name);
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) {
      showError(problem);
      announce(problem);
      return;
    }
    showError("");
    if (name === group.name) return;
    group.name = name;
    input.value = name;
    save();
    announce(`Group renamed to ${name}.`);
  };

  const deleteGroup = (group) => {
    const n = group.cards.length;
    state.groups = state.groups.filter((g) => g !== group);
    draw();
    save();
    announce(
      `Deleted ${group.name}. ${n ? `Its ${n} card${n === 1 ? " is" : "s are"} back in Cards to sort.` : ""}`,
    );
    $("cs-new-group")?.focus();
  };

  const newGroupButton = $("cs-new-group");
  if (newGroupButton) {
    newGroupButton.addEventListener("click", () => {
      const group = createGroup(newName());
      draw();
      save();
      announce(`New group ${group.name} made. Type its name.`);
      const input = groupElements.get(group.key).querySelector("input");
      input.focus();
      input.select();
    });
  }

  // ------------------------------------------ keyboard (and click) moving
  const panel = $("cs-move");
  const target = $("cs-target");
  const nameField = $("cs-new-name-field");
  const nameInput = $("cs-new-name");
  let selected = null;

  const option = (value, text) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    target.appendChild(o);
  };

  const select = (card) => {
    if (selected) items.get(selected).querySelector(".cs-card").setAttribute("aria-pressed", "false");
    selected = card;
    const button = items.get(card).querySelector(".cs-card");
    button.setAttribute("aria-pressed", "true");
    $("cs-move-card").textContent = label(card);
    target.textContent = "";
    const here = placeOf(card);
    state.groups.forEach((g) => {
      if (g !== here) option(String(g.key), g.name);
    });
    if (canCreate) option("new", "New group…");
    if (allowUnknown && here !== "unknown") option("unknown", "I don't know this card");
    if (here !== "pile") option("pile", "Back to Cards to sort");
    nameField.hidden = target.value !== "new";
    nameInput.value = "";
    // The panel goes at the end of the card's own box, where the eye already is.
    items.get(card).closest(".cs-zone").appendChild(panel);
    panel.hidden = false;
    target.focus();
    announce(`${label(card)} selected. Choose its group and press Move.`);
  };

  const closePanel = (focusCard) => {
    panel.hidden = true;
    if (!selected) return;
    const button = items.get(selected).querySelector(".cs-card");
    button.setAttribute("aria-pressed", "false");
    selected = null;
    if (focusCard) button.focus();
  };

  target.addEventListener("change", () => {
    nameField.hidden = target.value !== "new";
  });
  $("cs-move-go").addEventListener("click", () => {
    if (!selected) return;
    const card = selected;
    const to = target.value;
    let name = "";
    if (to === "new") {
      name = nameInput.value.replace(/\s+/g, " ").trim() || newName();
      const problem = nameProblem(null, name);
      if (problem) {
        showError(problem);
        announce(problem);
        nameInput.focus();
        return;
      }
    }
    closePanel(false);
    moveCard(card, to, name);
    items.get(card).querySelector(".cs-card").focus();
  });
  $("cs-move-cancel").addEventListener("click", () => closePanel(true));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel(true);
    if (event.key === "Enter" && event.target === nameInput) {
      event.preventDefault();
      $("cs-move-go").click();
    }
  });

  // --------------------------------------------------------- dragging
  let drag = null;
  let suppressClick = false;

  const zoneAt = (x, y) => {
    const hit = document.elementFromPoint(x, y);
    return hit ? hit.closest("[data-drop]") : null;
  };
  const highlight = (zone) => {
    document.querySelectorAll(".cs-over").forEach((z) => z.classList.remove("cs-over"));
    if (zone) zone.classList.add("cs-over");
  };

  root.addEventListener("pointerdown", (event) => {
    const button = event.target.closest(".cs-card");
    if (!button || event.button !== 0) return;
    drag = { card: button.dataset.card, button, x: event.clientX, y: event.clientY, ghost: null, id: event.pointerId };
    button.setPointerCapture(event.pointerId);
  });

  root.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.ghost) {
      if (Math.hypot(dx, dy) < 6) return;
      if (selected) closePanel(false);
      const rect = drag.button.getBoundingClientRect();
      const ghost = drag.button.cloneNode(true);
      ghost.removeAttribute("id");
      ghost.classList.add("cs-ghost");
      ghost.setAttribute("aria-hidden", "true");
      ghost.style.width = `${rect.width}px`;
      ghost.style.left = `${rect.left}px`;
      ghost.style.top = `${rect.top}px`;
      document.body.appendChild(ghost);
      drag.ghost = ghost;
      drag.left = rect.left;
      drag.top = rect.top;
      drag.button.classList.add("cs-dragging");
    }
    drag.ghost.style.transform = `translate(${dx}px, ${dy}px)`;
    highlight(zoneAt(event.clientX, event.clientY));
  });

  const endDrag = (event, cancelled) => {
    if (!drag || event.pointerId !== drag.id) return;
    const { card, ghost, button } = drag;
    drag = null;
    if (!ghost) return;
    ghost.remove();
    button.classList.remove("cs-dragging");
    highlight(null);
    suppressClick = true;
    window.setTimeout(() => {
      suppressClick = false;
    }, 0);
    if (cancelled) return;
    const zone = zoneAt(event.clientX, event.clientY);
    if (!zone) return;
    const kind = zone.dataset.drop;
    const to = kind === "group" ? zone.dataset.key : kind;
    if (to === placeOf(card) || (kind === "group" && groupByKey(to) === placeOf(card))) return;
    moveCard(card, to, "");
  };
  root.addEventListener("pointerup", (event) => endDrag(event, false));
  root.addEventListener("pointercancel", (event) => endDrag(event, true));

  root.addEventListener("click", (event) => {
    const button = event.target.closest(".cs-card");
    if (!button) return;
    if (suppressClick) {
      event.preventDefault();
      return;
    }
    if (selected === button.dataset.card) closePanel(true);
    else select(button.dataset.card);
  });

  // ----------------------------------------------------------- finishing
  $("cs-form").addEventListener("submit", (event) => {
    field.value = JSON.stringify(payload());
    const problem = state.groups.map((g) => nameProblem(g, g.name)).find(Boolean);
    const placed = dealt.length - unsorted().length;
    let message = problem || "";
    if (!message && requireAll && unsorted().length) {
      message = `Please sort every card first: ${left()}`;
    } else if (!message && placed === 0) {
      message = "Please sort at least one card first.";
    }
    if (message) {
      event.preventDefault();
      event.stopImmediatePropagation();
      showError(message);
      errorBox.focus();
    }
  }, true);
  errorBox.tabIndex = -1;

  draw();
  // The cards come disabled, so that none is pressed before it can move.
  root.querySelectorAll(".cs-card, #cs-new-group").forEach((button) => {
    button.disabled = false;
  });
})();
