// Evaluated once per audited page: measures everything the DOM checks need in
// one round trip. Argument: { skip: [CSS selectors already reported], minSize }.
async ({ skip, minSize }) => {
  // Let the next frame paint (an image that just loaded becomes the LCP
  // candidate then) and the queued PerformanceObserver callbacks run.
  await new Promise((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))
  );

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
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") {
      return false;
    }
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0;
  };

  // Performance: the observer installed before load, plus Navigation Timing.
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const own = window.__uxlabPerf || {};
  const round = (v) => (v === null || v === undefined ? null : Math.round(v * 10) / 10);
  const perf = {
    ttfb_ms: nav ? round(nav.responseStart) : null,
    fcp_ms: round(own.fcp),
    lcp_ms: round(own.lcp),
    cls: own.cls === undefined ? null : Math.round(own.cls * 10000) / 10000,
    dom_content_loaded_ms: nav ? round(nav.domContentLoadedEventEnd) : null,
    load_ms: nav && nav.loadEventEnd > 0 ? round(nav.loadEventEnd) : null,
    requests: resources.length + (nav ? 1 : 0),
    transfer_bytes:
      resources.reduce((sum, r) => sum + (r.transferSize || 0), 0) +
      (nav ? nav.transferSize || 0 : 0),
  };

  // Tap targets smaller than minSize x minSize, except inline links in text
  // (WCAG 2.2 2.5.8 "Inline" exception) and elements reported already.
  const skipped = new Set();
  for (const selector of skip) {
    try {
      document.querySelectorAll(selector).forEach((el) => skipped.add(el));
    } catch (error) {
      // axe selectors can reach into shadow DOM; ignore those we cannot parse.
    }
  }
  const interactive = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, " +
      "[role=button], [role=link], [role=checkbox], [role=radio], [role=switch], " +
      "[role=tab], [role=menuitem], [onclick]"
  );
  const smallTargets = [];
  for (const el of interactive) {
    if (skipped.has(el) || !visible(el) || el.disabled) {
      continue;
    }
    const rect = el.getBoundingClientRect();
    if (rect.width >= minSize && rect.height >= minSize) {
      continue;
    }
    const style = getComputedStyle(el);
    if (el.localName === "a" && style.display === "inline") {
      const block = el.parentElement;
      const text = block ? block.textContent.trim() : "";
      if (text.length > el.textContent.trim().length) {
        continue;
      }
    }
    if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels.length) {
      continue;
    }
    smallTargets.push({
      selector: cssPath(el),
      width: Math.round(rect.width * 10) / 10,
      height: Math.round(rect.height * 10) / 10,
      text: (
        el.getAttribute("aria-label") ||
        el.textContent ||
        el.value ||
        `<${el.localName}${el.name ? ` name=${el.name}` : ""}>`
      )
        .trim()
        .slice(0, 60),
    });
  }

  // Horizontal overflow: the outermost elements that stick out on the right of
  // the layout viewport (innerWidth grows with the overflow on mobile).
  const width = document.documentElement.clientWidth;
  const scrollWidth = Math.max(
    document.documentElement.scrollWidth,
    document.body ? document.body.scrollWidth : 0
  );
  const offenders = [];
  if (scrollWidth > width + 1 && document.body) {
    const walk = (el) => {
      for (const child of el.children) {
        const rect = child.getBoundingClientRect();
        if (rect.right > width + 1 && visible(child)) {
          const inner = [...child.children].some(
            (c) => c.getBoundingClientRect().right > width + 1
          );
          if (inner && child.getBoundingClientRect().width <= width + 1) {
            walk(child);
          } else {
            offenders.push({ selector: cssPath(child), right: Math.round(rect.right) });
          }
        } else {
          walk(child);
        }
        if (offenders.length >= 5) {
          return;
        }
      }
    };
    walk(document.body);
  }

  const meta = document.querySelector('meta[name="viewport"]');
  // One entry per target, a visible link to it preferred: broken links are
  // reported where people can see them.
  const byHref = new Map();
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.href;
    if (!href.startsWith("http")) {
      continue;
    }
    const known = byHref.get(href);
    if (known && (known.visible || !visible(a))) {
      continue;
    }
    byHref.set(href, { href, selector: cssPath(a), visible: visible(a) });
  }
  const links = [...byHref.values()];
  return {
    title: document.title,
    perf,
    smallTargets,
    overflow: { scrollWidth, width, offenders },
    viewportMeta: meta ? meta.getAttribute("content") || "" : null,
    links,
  };
};
