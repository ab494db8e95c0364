// Keyboard and focus checks: installed once per page state before a Tab walk.
// Returns an object whose methods the Python side calls between real key
// presses: start() puts a focus anchor at the top of <body>, here() records the
// element that has the focus now, finish() measures what the checks need and
// puts the focus and the scroll position back as they were. The focus is
// followed into same-origin frames; a frame from another origin is opaque.
() => {
  const ids = new WeakMap();
  const els = [];
  const records = [];
  const before = { active: document.activeElement, x: scrollX, y: scrollY };
  let anchor = null;

  const cs = (el, pseudo) => el.ownerDocument.defaultView.getComputedStyle(el, pseudo);
  // The frame element a document is shown in (null for the page itself).
  const frameOf = (doc) => (doc === document ? null : doc.defaultView.frameElement);
  // The document inside a frame, or null when it is from another origin.
  const inside = (frame) => {
    try {
      return frame.contentDocument;
    } catch (error) {
      return null;
    }
  };
  // The page and every same-origin frame document in it, nested ones too.
  const documents = () => {
    const out = [document];
    for (let i = 0; i < out.length; i++) {
      for (const frame of out[i].querySelectorAll("iframe, frame")) {
        const doc = inside(frame);
        if (doc && doc.documentElement) out.push(doc);
      }
    }
    return out;
  };
  const localPath = (el) => {
    const doc = el.ownerDocument;
    const unique = (node) => node.id && doc.querySelectorAll(`#${CSS.escape(node.id)}`).length === 1;
    if (unique(el)) {
      return `#${CSS.escape(el.id)}`;
    }
    const parts = [];
    let node = el;
    while (node && node.nodeType === 1 && node !== doc.documentElement) {
      if (unique(node)) {
        parts.unshift(`#${CSS.escape(node.id)}`);
        break;
      }
      let part = node.localName;
      const parent = node.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === node.localName);
        if (same.length > 1) {
          part += `:nth-of-type(${same.indexOf(node) + 1})`;
        }
      }
      parts.unshift(part);
      node = parent;
    }
    return parts.join(" > ");
  };
  // Inside a frame, the frame's path first, as axe-core names such elements.
  const cssPath = (el) => {
    const frame = frameOf(el.ownerDocument);
    return frame ? `${cssPath(frame)}, ${localPath(el)}` : localPath(el);
  };
  const snippet = (el) => {
    const html = el.outerHTML.replace(/\s+/g, " ");
    return html.length > 240 ? html.slice(0, 239) + "…" : html;
  };
  // Where the element is in the page's document, in CSS px.
  const docRect = (el) => {
    const r = el.getBoundingClientRect();
    let x = r.left;
    let y = r.top;
    for (let frame = frameOf(el.ownerDocument); frame; frame = frameOf(frame.ownerDocument)) {
      const f = frame.getBoundingClientRect();
      x += f.left + frame.clientLeft;
      y += f.top + frame.clientTop;
    }
    return [x + scrollX, y + scrollY, r.width, r.height];
  };
  const visible = (el) => {
    const style = cs(el);
    if (style.visibility === "hidden" || style.display === "none") {
      return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  // Why a focused element cannot be seen, or null when it can.
  const hiddenReason = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) {
      return "has no visible size";
    }
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (parseFloat(cs(n).opacity) === 0) {
        return "is fully transparent";
      }
    }
    const view = el.ownerDocument.defaultView;
    if (r.right <= 0 || r.bottom <= 0 || r.left >= view.innerWidth || r.top >= view.innerHeight) {
      return "is outside the visible page";
    }
    return null;
  };
  const fixed = (el) => {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const position = cs(n).position;
      if (position === "fixed" || position === "sticky") {
        return true;
      }
    }
    return false;
  };
  const modalOf = (el) => {
    const dialog = el.closest("dialog, [role=dialog], [role=alertdialog]");
    if (!dialog) {
      return null;
    }
    if (dialog.localName === "dialog" ? dialog.matches(":modal") : dialog.getAttribute("aria-modal") === "true") {
      return dialog;
    }
    return null;
  };
  const openModal = () =>
    document.querySelector("dialog:modal") ||
    [...document.querySelectorAll("[aria-modal=true]")].find(visible) ||
    null;
  const OUTLINE = ["outlineWidth", "outlineColor", "outlineOffset"];
  const OWN = [
    "outlineStyle", "boxShadow",
    "borderTopColor", "borderRightColor", "borderBottomColor", "borderLeftColor",
    "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth",
    "backgroundColor", "backgroundImage", "color", "textDecorationLine",
    "textDecorationColor", "transform", "opacity", "fontWeight",
  ];
  // Everything a focus indicator can change: the element, its ::before and
  // ::after boxes, and its nearest ancestors (styled with :focus-within).
  // An outline whose style is none draws nothing, whatever its width or offset.
  const styles = (s, keys, parts) => {
    for (const key of keys) parts.push(s[key]);
    if (s.outlineStyle !== "none") {
      for (const key of OUTLINE) parts.push(s[key]);
    }
  };
  const look = (el) => {
    const parts = [];
    styles(cs(el), OWN, parts);
    for (const pseudo of ["::before", "::after"]) {
      const s = cs(el, pseudo);
      parts.push(s.content);
      if (s.content !== "none" && s.content !== "normal") {
        styles(s, OWN, parts);
      }
    }
    const keys = ["outlineStyle", "boxShadow", "backgroundColor", "borderTopColor", "borderBottomColor"];
    let ancestor = el.parentElement;
    for (let depth = 0; depth < 3 && ancestor && ancestor !== el.ownerDocument.body; depth++) {
      styles(cs(ancestor), keys, parts);
      ancestor = ancestor.parentElement;
    }
    return parts.join("|");
  };
  // The focused element, looked for in shadow roots and same-origin frames.
  const deepActive = () => {
    let el = document.activeElement;
    for (;;) {
      while (el && el.shadowRoot && el.shadowRoot.activeElement) {
        el = el.shadowRoot.activeElement;
      }
      const doc = el && (el.localName === "iframe" || el.localName === "frame") ? inside(el) : null;
      const next = doc ? doc.activeElement : null;
      if (!next || next === doc.body || next === doc.documentElement) {
        return el;
      }
      el = next;
    }
  };
  const idOf = (el) => {
    if (!ids.has(el)) {
      ids.set(el, els.length);
      els.push(el);
    }
    return ids.get(el);
  };
  const describe = (el) => ({
    selector: cssPath(el),
    tag: el.localName,
    snippet: snippet(el),
    rect: docRect(el),
    hidden: hiddenReason(el),
    fixed: fixed(el),
    modal: modalOf(el) !== null,
    frame: el.localName === "iframe" || el.localName === "frame",
    tabindex: el.hasAttribute("tabindex") ? el.tabIndex : null,
    focused_look: look(el),
    animating: el.getAnimations().length > 0,
  });

  const log = [];
  // Every element the focus lands on, in order, with the element it came
  // from. Focus that comes back to the page between two presses (the browser
  // hands it back a moment after the key is up) gets no key-up of its own:
  // it is found here, once the next Tab has taken it on to another element.
  let moves = [];
  let pressing = false;
  const late = new Set(); // described after the focus had left them
  const onFocusIn = (event) => {
    const el = event.composedPath()[0];
    if (!el || el.nodeType !== 1 || el === anchor || el === el.ownerDocument.body) return;
    if (el.localName === "iframe" || el.localName === "frame") return;
    moves.push({ el, from: event.relatedTarget, between: !pressing });
  };
  const entry = (el) => {
    const known = ids.has(el);
    const id = idOf(el);
    if (!known) {
      records[id] = describe(el);
    }
    return { id, record: known ? null : records[id] };
  };
  // Elements focused between two presses and left with Tab since the last
  // read, with no read landing on them.
  const passed = (current) => {
    const out = [];
    moves.forEach(({ el, between }, i) => {
      const next = moves[i + 1];
      if (between && el !== current && next && next.from === el && el.isConnected) {
        if (!ids.has(el)) late.add(el);
        out.push(entry(el));
      }
    });
    moves = [];
    return out;
  };
  const here = () => {
    const el = deepActive();
    if (anchor && el !== anchor) {
      anchor.remove();
      anchor = null;
    }
    if (!el || el === document.body || el === document.documentElement || el === anchor) {
      return { id: -1, record: null, via: passed(null) };
    }
    const via = passed(el);
    return { ...entry(el), via };
  };
  // Where the focus is after each Tab, read as the key comes back up (the
  // focus has moved by then), so a batch of presses needs one round trip.
  const onKeyDown = (event) => {
    if (event.key === "Tab") pressing = true;
  };
  const onKeyUp = (event) => {
    if (event.key === "Tab") {
      log.push(here());
      pressing = false;
    }
  };
  const windows = documents().map((doc) => doc.defaultView);
  for (const win of windows) {
    win.addEventListener("keydown", onKeyDown, true);
    win.addEventListener("keyup", onKeyUp, true);
    win.addEventListener("focusin", onFocusIn, true);
  }
  // Frames from another origin: the focus inside them is not logged.
  const opaque = [...new Set(documents().flatMap((doc) => [...doc.querySelectorAll("iframe, frame")]))]
    .filter((frame) => inside(frame) === null && visible(frame));

  return {
    // The positions logged since the last call.
    drain() {
      return log.splice(0, log.length);
    },
    // Whether some Tab presses may go unlogged (a frame from another origin).
    opaque() {
      return opaque.length > 0;
    },
    start() {
      anchor = document.createElement("span");
      anchor.tabIndex = -1;
      anchor.setAttribute("aria-hidden", "true");
      anchor.style.cssText = "position:absolute;top:0;left:0;width:0;height:0;overflow:hidden";
      document.body.prepend(anchor);
      anchor.focus({ preventScroll: true });
    },
    // Id of the focused element (-1 for none or <body>); its details the first time.
    here,
    async finish() {
      for (const win of windows) {
        win.removeEventListener("keydown", onKeyDown, true);
        win.removeEventListener("keyup", onKeyUp, true);
        win.removeEventListener("focusin", onFocusIn, true);
      }
      if (anchor) {
        anchor.remove();
        anchor = null;
      }
      // An element found after the focus had left it is described again
      // with the focus on it, brought into view as Tab brings it.
      for (const el of late) {
        if (el.isConnected) {
          el.focus();
          records[ids.get(el)] = describe(el);
        }
      }
      // An indicator that fades in is read once its transition has ended.
      for (const [id, el] of els.entries()) {
        if (records[id] && records[id].animating && el.isConnected) {
          el.focus({ preventScroll: true });
          await Promise.race([
            Promise.allSettled(el.getAnimations().map((a) => a.finished)),
            new Promise((resolve) => setTimeout(resolve, 1000)),
          ]);
          records[id].focused_look = look(el);
        }
      }
      const focused = deepActive();
      if (focused && focused !== focused.ownerDocument.body) {
        focused.blur();
      }
      if (document.activeElement && document.activeElement !== document.body) {
        document.activeElement.blur();
      }
      const unfocused = els.map((el) => (el.isConnected ? look(el) : null));
      await new Promise((resolve) => setTimeout(resolve, 0));
      for (const [id, el] of els.entries()) {
        if (el.isConnected && el.getAnimations().length > 0) {
          await Promise.race([
            Promise.allSettled(el.getAnimations().map((a) => a.finished)),
            new Promise((resolve) => setTimeout(resolve, 1000)),
          ]);
          unfocused[id] = look(el);
        }
      }
      const reached = new Set(els);
      const modal = openModal();
      const within = (el) => {
        for (const other of reached) {
          if (other !== el && (other.contains(el) || el.contains(other))) return true;
        }
        return false;
      };
      const COMPOSITE = "[role=tablist], [role=menu], [role=menubar], [role=radiogroup], [role=listbox], [role=grid], [role=tree], [role=toolbar], [role=treegrid]";
      const groupReached = (el) => {
        if (el.localName === "input" && el.type === "radio" && el.name) {
          const scope = el.form || el.ownerDocument;
          return [...scope.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)].some((r) => reached.has(r));
        }
        const composite = el.closest(COMPOSITE);
        return composite !== null && [...reached].some((r) => composite.contains(r));
      };
      const shown = (doc) => {
        for (let frame = frameOf(doc); frame; frame = frameOf(frame.ownerDocument)) {
          if (!visible(frame) || frame.closest("[inert], [aria-hidden=true]")) return false;
        }
        return true;
      };
      const candidates = documents().filter(shown).flatMap((doc) => [...doc.querySelectorAll(
        "a[href], button, input:not([type=hidden]), select, textarea, summary, [contenteditable=''], [contenteditable=true], " +
          "[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], " +
          "[role=menuitem], [role=slider], [role=textbox], [role=combobox], [onclick], div, span, li, img"
      )]);
      const unreachable = [];
      for (const el of candidates) {
        if (reached.has(el) || !visible(el) || el.matches(":disabled") || el.closest("[inert], [aria-hidden=true], [aria-disabled=true]")) {
          continue;
        }
        if (modal && !modal.contains(el)) continue;
        if (el.localName === "label" || el.closest("label")) continue;
        const generic = ["div", "span", "li", "img"].includes(el.localName) && !el.hasAttribute("role") && !el.hasAttribute("onclick");
        if (generic) {
          // A plain element counts only when it shows a pointer of its own.
          const cursor = cs(el).cursor;
          const parent = el.parentElement ? cs(el.parentElement).cursor : "auto";
          if (cursor !== "pointer" || parent === "pointer") continue;
        }
        if (within(el) || groupReached(el)) continue;
        unreachable.push({ selector: cssPath(el), snippet: snippet(el), rect: docRect(el) });
      }
      const positive = documents().flatMap((doc) => [...doc.querySelectorAll("[tabindex]")])
        .filter((el) => el.tabIndex > 0)
        .map((el) => ({ selector: cssPath(el), snippet: snippet(el), rect: docRect(el), tabindex: el.tabIndex }));
      const navs = [...document.querySelectorAll("nav, [role=navigation]")]
        .filter((nav) => !nav.closest("main, [role=main], footer, aside"))
        .map((nav) => ({
          selector: cssPath(nav),
          snippet: snippet(nav),
          rect: docRect(nav),
          ids: els.map((el, id) => (nav.contains(el) ? id : -1)).filter((id) => id >= 0),
        }));
      // For each reached in-page link: where it leads, and whether that is after every nav.
      const targets = {};
      for (const [id, el] of els.entries()) {
        const href = el.localName === "a" && el.ownerDocument === document ? el.getAttribute("href") || "" : "";
        if (!href.startsWith("#") || href.length < 2) continue;
        const name = decodeURIComponent(href.slice(1));
        const target = document.getElementById(name) || document.querySelector(`a[name="${CSS.escape(name)}"]`);
        const after = target !== null && [...document.querySelectorAll("nav, [role=navigation]")]
          .filter((nav) => !nav.closest("main, [role=main], footer, aside"))
          .every((nav) => !nav.contains(target) && (nav.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING));
        targets[id] = { href, exists: target !== null, after_navigation: after };
      }
      const rtl = cs(document.documentElement).direction === "rtl";
      const frames = opaque.map((frame) => ({
        selector: cssPath(frame),
        snippet: snippet(frame),
        rect: docRect(frame),
        origin: (() => {
          try {
            return new URL(frame.src, frame.ownerDocument.baseURI).origin;
          } catch (error) {
            return "";
          }
        })(),
      }));
      if (before.active && before.active !== document.body && before.active.isConnected) {
        before.active.focus({ preventScroll: true });
      } else if (document.activeElement && document.activeElement !== document.body) {
        document.activeElement.blur();
      }
      scrollTo(before.x, before.y);
      const redescribed = Object.fromEntries([...late].map((el) => [ids.get(el), records[ids.get(el)]]));
      return { records, late: redescribed, unfocused, unreachable, positive, navs, targets, rtl, frames };
    },
  };
}
