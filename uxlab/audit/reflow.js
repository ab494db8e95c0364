// Reflow (WCAG 1.4.10) inside the page: elements that clip their content or
// need a sideways scroll at the current width. Content that may scroll in two
// dimensions (tables, code, maps, media, toolbars, grids, carousels) is exempt.
() => {
  const EXEMPT =
    "table, pre, code, svg, canvas, video, img, iframe, map, object, [role=toolbar], " +
    "[role=grid], [role=treegrid], [role=img], [role=application], [role=tablist], " +
    "[aria-roledescription~=carousel], [aria-roledescription~=slider]";
  const cssPath = (el) => {
    if (el.id && document.querySelectorAll(`#${CSS.escape(el.id)}`).length === 1) {
      return `#${CSS.escape(el.id)}`;
    }
    const parts = [];
    let node = el;
    while (node && node.nodeType === 1 && node !== document.documentElement) {
      if (node.id && document.querySelectorAll(`#${CSS.escape(node.id)}`).length === 1) {
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
  const snippet = (el) => {
    const html = el.outerHTML.replace(/\s+/g, " ");
    return html.length > 240 ? html.slice(0, 239) + "…" : html;
  };
  const found = [];
  const reported = [];
  for (const el of [document.body, ...document.body.querySelectorAll("*")]) {
    const style = getComputedStyle(el);
    const overflow = style.overflowX;
    if (overflow === "visible" || el.scrollWidth <= el.clientWidth + 1) continue;
    if (style.display === "none" || style.visibility === "hidden" || el.clientWidth === 0) continue;
    if (el.matches(EXEMPT) || el.closest(EXEMPT)) continue;
    if (reported.some((r) => r.contains(el))) continue;
    const box = el.getBoundingClientRect();
    const wide = [...el.querySelectorAll("*")].filter((c) => {
      const r = c.getBoundingClientRect();
      return r.width > 0 && r.right > box.left + el.clientWidth + 1;
    });
    // What sticks out is only exempt content (a table in a scrolling wrapper).
    if (wide.length && wide.every((c) => c.matches(EXEMPT) || c.closest(EXEMPT) || c.querySelector("table, pre"))) continue;
    if (style.textOverflow === "ellipsis" && el.children.length === 0) continue;
    reported.push(el);
    found.push({
      selector: cssPath(el),
      snippet: snippet(el),
      kind: overflow === "hidden" || overflow === "clip" ? "clipped" : "scroll",
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
    });
    if (found.length >= 10) break;
  }
  return { width: document.documentElement.clientWidth, found };
}
