/* Tree tests: open and close the menu's headings, choose where you would
   find something, and keep every click with its time.

   The clicks live in sessionStorage (a reload replays them, so the tree and
   the path come back as they were) and in the form's "path" field as
   [[node id, ms since the task was shown], ...]; the server checks them. */
(function () {
  "use strict";
  var root = document.querySelector("[data-tree-test]");
  if (!root) return;
  var form = root.querySelector("form");
  var pathField = form.querySelector("input[name=path]");
  var elapsedField = form.querySelector("input[name=elapsed_ms]");
  var upButton = root.querySelector(".tree-up");
  var key = "uxlab-tree:" + root.getAttribute("data-key");
  var current = null;

  function load() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(key) || "null");
      if (saved && typeof saved.start === "number" && Array.isArray(saved.clicks)) {
        return saved;
      }
    } catch (e) { /* storage off or damaged: start afresh */ }
    return { start: Date.now(), clicks: [] };
  }
  var state = load();

  function save() {
    pathField.value = JSON.stringify(state.clicks);
    try { window.sessionStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function nodeButton(id) {
    return root.querySelector('.tree-node[data-node="' + id + '"]');
  }

  function parentOf(button) {
    var group = button.closest(".tree-group");
    return group ? nodeButton(group.id.replace(/^group-/, "")) : null;
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var group = document.getElementById(button.getAttribute("aria-controls"));
    if (!group) return;
    group.hidden = !open;
    if (!open) {  // closing a heading closes everything under it
      group.querySelectorAll(".tree-node[aria-expanded=true]").forEach(function (b) {
        setOpen(b, false);
      });
    }
  }

  function select(button) {
    if (current) {
      current.removeAttribute("aria-current");
      current.nextElementSibling.hidden = true;
    }
    current = button;
    button.setAttribute("aria-current", "true");
    button.nextElementSibling.hidden = false;
    upButton.disabled = parentOf(button) === null;
  }

  function apply(id) {
    var button = nodeButton(id);
    if (!button) return;
    if (button.hasAttribute("aria-expanded")) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    }
    select(button);
  }

  function click(id) {
    state.clicks.push([id, Math.max(0, Date.now() - state.start)]);
    save();
    apply(id);
  }

  state.clicks.forEach(function (c) { apply(c[0]); });
  save();

  root.querySelector(".tree").addEventListener("click", function (event) {
    var button = event.target.closest(".tree-node");
    if (button) click(button.getAttribute("data-node"));
  });
  upButton.addEventListener("click", function () {
    var parent = current && parentOf(current);
    if (!parent) return;
    click(parent.getAttribute("data-node"));
    parent.focus();
  });
  // The headings come disabled, so that none is pressed before it can open.
  root.querySelectorAll(".tree-node").forEach(function (button) {
    button.disabled = false;
  });
  form.addEventListener("submit", function () {
    elapsedField.value = String(Math.max(0, Date.now() - state.start));
    pathField.value = JSON.stringify(state.clicks);
    try { window.sessionStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  });
}());
