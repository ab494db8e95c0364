// uxlab recorder: what a participant does on the site under test.
// Add <script src="https://uxlab.example/static/recorder.js" defer></script>.
// Without an attempt token (?uxlab_attempt=... or one kept for this tab) it
// records nothing. Events are kept in localStorage until the server acks them
// by id; the server stores each id once, so resending is always safe.
(() => {
  "use strict";
  var w = window;
  var d = document;
  if (w.uxlabRecorder) return;

  var PARAM = "uxlab_attempt";
  var PREFIX = "uxlab:";
  var BATCH = 50;
  var BEACON_MAX = 60000;

  var guard = (fn) => {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        stats.errors++;
      }
    };
  };
  var stats = { sent: 0, acked: 0, rejected: 0, dropped: 0, retries: 0, errors: 0 };

  // Storage that never throws: localStorage, or memory when it is off or full.
  var memory = {};
  var store = (kind) => {
    var s;
    try {
      s = w[kind];
    } catch (e) {}
    return {
      get: (k) => {
        try {
          var v = s.getItem(k);
          if (v !== null) return v;
        } catch (e) {}
        return memory[kind + k] === undefined ? null : memory[kind + k];
      },
      set: (k, v) => {
        try {
          s.setItem(k, v);
          delete memory[kind + k];
        } catch (e) {
          memory[kind + k] = v;
        }
      },
      del: (k) => {
        delete memory[kind + k];
        try {
          s.removeItem(k);
        } catch (e) {}
      },
      keys: () => {
        var out = [];
        try {
          for (var i = 0; i < s.length; i++) out.push(s.key(i));
        } catch (e) {}
        for (var m in memory) if (m.indexOf(kind) === 0) out.push(m.slice(kind.length));
        return out;
      },
    };
  };
  var local = store("localStorage");
  var tab = store("sessionStorage");

  var uuid = () => {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map
      .call(b, (x) => {
        return (x + 256).toString(16).slice(1);
      })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  };

  var script = d.currentScript || d.querySelector('script[src*="recorder.js"]');
  var server = script ? new URL(script.src, location.href).origin : location.origin;
  var origReplace = history.replaceState;
  var origPush = history.pushState;

  // ------------------------------------------------------------- the token
  var token = null;
  try {
    var here = new URL(location.href);
    token = here.searchParams.get(PARAM);
    if (token) {
      tab.set(PREFIX + "attempt", token);
      here.searchParams.delete(PARAM);
      origReplace.call(history, history.state, "", here.href);
    } else token = tab.get(PREFIX + "attempt");
  } catch (e) {}

  // ------------------------------------------------------------ the queue
  // This page's unacked events live under its own key; leftovers of closed
  // pages (any attempt) are adopted on load and sent again.
  var qkey = PREFIX + "q:" + uuid();
  var queue = [];
  var save = () => {
    if (queue.length) local.set(qkey, JSON.stringify(queue));
    else local.del(qkey);
  };
  local.keys().forEach((k) => {
    if (k.indexOf(PREFIX + "q:") !== 0) return;
    try {
      queue = queue.concat(JSON.parse(local.get(k)) || []);
    } catch (e) {}
    local.del(k);
  });
  save();
  if (!token && !queue.length) return;

  var size = BATCH;
  var failures = 0;
  var timer = null;
  var busy = false;
  var dead = {};
  var stopped = !token;

  var url = (t, path) => {
    return server + "/api/v1/attempts/" + encodeURIComponent(t) + (path || "");
  };
  var schedule = (ms) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(guard(flush), ms);
  };
  var drop = (ids) => {
    queue = queue.filter((item) => {
      return !ids[item.e.id];
    });
    save();
  };
  var ended = (t, outcome) => {
    dead[t] = 1;
    if (t === token && !stopped) {
      stopped = true;
      tab.del(PREFIX + "attempt");
      if (outcome) notice(outcome);
    }
  };
  // The participant is on the site, not on the study's tab: say the task has
  // ended, in a shadow root so the site's styles and ours stay apart.
  var notice = guard((outcome) => {
    var host = d.createElement("div");
    var box = d.createElement("p");
    box.role = "status";
    box.textContent = (outcome === "success" ? "Task complete." : "This task has ended.") + " Go back to the study tab.";
    box.style.cssText =
      "position:fixed;z-index:2147483647;inset:auto 0 16px;width:fit-content;margin:auto;padding:10px;background:#222;color:#fff;font:16px sans-serif";
    box.onclick = () => host.remove();
    host.attachShadow({ mode: "open" }).append(box);
    d.body.append(host);
  });

  var flush = () => {
    timer = null;
    if (busy || !queue.length) return;
    var t = queue[0].t;
    var batch = queue
      .filter((item) => {
        return item.t === t;
      })
      .slice(0, size);
    var events = batch.map((item) => {
      return item.e;
    });
    busy = true;
    stats.sent += events.length;
    fetch(url(t, "/events") + (failures ? "?retry=" + failures : ""), {
      method: "POST",
      body: JSON.stringify({ events: events }),
      headers: { "Content-Type": "text/plain" },
      credentials: "omit",
    })
      .then((r) => {
        return r.json().then(
          (body) => {
            return [r.status, body];
          },
          () => {
            return [r.status, {}];
          },
        );
      })
      .then(
        guard((res) => {
          busy = false;
          var status = res[0];
          var body = res[1] || {};
          var ids = {};
          if (status === 200) {
            failures = 0;
            size = Math.min(BATCH, size * 2);
            (body.acked || []).forEach((id) => {
              ids[id] = 1;
              stats.acked++;
            });
            (body.rejected || []).forEach((r) => {
              if (r.id) ids[r.id] = 1;
              stats.rejected++;
            });
            if (body.attempt && body.attempt.state === "ended") ended(t, body.attempt.outcome || "ended");
            drop(ids);
            if (queue.length) schedule(0);
          } else if (status === 413) {
            if (events.length === 1) {
              stats.dropped++;
              ids[events[0].id] = 1;
              drop(ids);
            } else size = Math.max(1, events.length >> 1);
            schedule(0);
          } else if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
            // The token, the study or the batch is refused for good.
            if (status !== 400) ended(t);
            batch.forEach((item) => {
              ids[item.e.id] = 1;
            });
            stats.dropped += batch.length;
            drop(ids);
            if (queue.length) schedule(0);
          } else retry();
        }),
        () => {
          busy = false;
          retry();
        },
      );
  };
  var retry = () => {
    failures++;
    stats.retries++;
    var base = Math.min(30000, 500 * Math.pow(2, failures - 1));
    schedule(base * (0.5 + Math.random()));
  };

  // Each tab numbers its own events under its own recording id (kept in
  // sessionStorage, which no other tab shares): the same attempt open in two
  // tabs, or on two devices, never gives two events one (recording, seq).
  var record = (type, data) => {
    if (stopped || !token) return;
    // "<recording id> <last seq>"
    var k = PREFIX + "r" + token,
      r = (tab.get(k) || uuid() + " 0").split(" ");
    r[1]++;
    tab.set(k, r.join(" "));
    queue.push({
      t: token,
      e: { id: uuid(), seq: r[1], rec: r[0], type, ts: Date.now(), url: location.href, data: data || {} },
    });
    save();
    if (!timer && !busy) schedule(queue.length >= 20 ? 0 : 1000);
  };

  // On the way out: a beacon (text/plain: no preflight), and the local copy
  // stays until a later page load sees it acknowledged. Chromium fires both
  // pagehide and visibilitychange; one beacon per hide is enough.
  var beaconed = false;
  var beacon = () => {
    if (beaconed || !navigator.sendBeacon) return;
    beaconed = true;
    var groups = {};
    queue.forEach((item) => {
      if (!dead[item.t]) (groups[item.t] = groups[item.t] || []).push(item.e);
    });
    Object.keys(groups).forEach((t) => {
      var chunk = [];
      var bytes = 0;
      var send = () => {
        if (chunk.length) navigator.sendBeacon(url(t, "/events"), JSON.stringify({ events: chunk }));
        chunk = [];
        bytes = 0;
      };
      groups[t].forEach((e) => {
        var n = JSON.stringify(e).length + 1;
        if (bytes + n > BEACON_MAX) send();
        chunk.push(e);
        bytes += n;
      });
      send();
    });
  };

  w.uxlabRecorder = {
    mark: guard((name, data) => {
      record("marker", { name: String(name).slice(0, 80), detail: data || null });
    }),
    flush: guard(() => {
      schedule(0);
    }),
    state: () => {
      var out = { queued: queue.length, recording: !stopped };
      for (var k in stats) out[k] = stats[k];
      return out;
    },
  };
  if (queue.length) schedule(0);
  // Without a token this page only sends what earlier pages left behind.
  if (!token) return;

  // -------------------------------------------------------------- capture
  var on = (target, type, fn) => {
    target.addEventListener(type, guard(fn), { capture: true, passive: true });
  };
  var short = (s) => {
    return (s || "").replace(/\s+/g, " ").trim().slice(0, 80);
  };
  var FIELD = /^(INPUT|TEXTAREA|SELECT|OPTION)$/;
  var ACTIVE =
    "a[href],button,input,select,textarea,label,summary,[role=button],[role=link]," +
    "[role=menuitem],[role=tab],[role=checkbox],[role=radio],[onclick],[tabindex]";
  var selector = (el) => {
    var parts = [];
    while (el && el.nodeType === 1 && parts.length < 8) {
      var tag = el.tagName.toLowerCase();
      if (el.id && /^[A-Za-z][\w-]{0,60}$/.test(el.id)) {
        parts.unshift("#" + el.id);
        break;
      }
      var parent = el.parentElement;
      if (parent && tag !== "html" && tag !== "body") {
        var same = Array.prototype.filter.call(parent.children, (c) => {
          return c.tagName === el.tagName;
        });
        if (same.length > 1) tag += ":nth-of-type(" + (same.indexOf(el) + 1) + ")";
      }
      parts.unshift(tag);
      el = parent;
    }
    return parts.join(" > ").slice(0, 1000);
  };

  var lastMutation = 0;
  var page = location.href;
  var clicks = [];

  var view = (type, extra) => {
    page = location.href;
    var data = { title: short(d.title) };
    for (var k in extra) data[k] = extra[k];
    record(type, data);
    check();
  };

  on(d, "click", (ev) => {
    var target = ev.target && ev.target.nodeType === 1 ? ev.target : ev.target && ev.target.parentElement;
    if (!target || stopped) return;
    var active = target.closest(ACTIVE);
    var el = active || target;
    var field = FIELD.test(el.tagName) || el.isContentEditable;
    var de = d.documentElement;
    var data = {
      x: Math.round(ev.pageX),
      y: Math.round(ev.pageY),
      cx: Math.round(ev.clientX),
      cy: Math.round(ev.clientY),
      vw: w.innerWidth,
      vh: w.innerHeight,
      dw: de.scrollWidth,
      dh: de.scrollHeight,
      sx: Math.round(w.scrollX),
      sy: Math.round(w.scrollY),
      selector: selector(el),
      tag: el.tagName.toLowerCase(),
      role: el.getAttribute("role") || "",
      text: field ? "" : short(el.getAttribute("aria-label") || el.textContent),
      interactive: !!active,
      pointer: ev.pointerType || "",
    };
    record("click", data);
    var now = Date.now();
    clicks = clicks.filter((c) => {
      return now - c.t < 1000 && Math.abs(c.x - ev.clientX) <= 30 && Math.abs(c.y - ev.clientY) <= 30;
    });
    clicks.push({ t: now, x: ev.clientX, y: ev.clientY });
    if (clicks.length === 3) record("rage_click", { x: data.x, y: data.y, selector: data.selector, count: 3 });
    if (field) return;
    var before = location.href;
    setTimeout(
      guard(() => {
        if (lastMutation < now && location.href === before && d.visibilityState === "visible")
          record("dead_click", { x: data.x, y: data.y, selector: data.selector });
      }),
      1000,
    );
  });

  var depth = 0;
  on(w, "scroll", () => {
    var de = d.documentElement;
    var pct = Math.min(100, Math.round((100 * (w.scrollY + w.innerHeight)) / Math.max(1, de.scrollHeight)));
    var step = Math.floor(pct / 25) * 25;
    if (step > depth) {
      depth = step;
      record("scroll", { depth: step, sy: Math.round(w.scrollY) });
    }
  });

  on(d, "visibilitychange", () => {
    if (d.visibilityState === "hidden") {
      record("blur", {});
      beacon();
    } else {
      beaconed = false;
      record("focus", {});
      schedule(0);
    }
  });
  on(w, "pagehide", beacon);
  on(w, "pageshow", () => {
    beaconed = false;
  });
  on(w, "online", () => {
    failures = 0;
    schedule(0);
  });

  var route = (kind) => {
    if (location.href !== page) view("route_change", { from: page, kind: kind });
  };
  history.pushState = function () {
    var r = origPush.apply(this, arguments);
    guard(route)("push");
    return r;
  };
  history.replaceState = function () {
    var r = origReplace.apply(this, arguments);
    guard(route)("replace");
    return r;
  };
  on(w, "popstate", () => {
    route("pop");
  });

  // -------------------------------------------------- automatic success
  var criterion = null;
  var doneKey = PREFIX + "done:" + token;
  var check = () => {
    if (!criterion || stopped || tab.get(doneKey)) return;
    var met = false;
    if (criterion.kind === "url_matches") met = criterion.re.test(location.href);
    else if (criterion.kind === "element") met = !!d.querySelector(criterion.value);
    if (met) {
      tab.set(doneKey, "1");
      record("task_success", { kind: criterion.kind, value: criterion.value });
      schedule(0);
    }
  };
  var pending = false;
  if (w.MutationObserver)
    new MutationObserver(
      guard(() => {
        lastMutation = Date.now();
        if (criterion && criterion.kind === "element" && !pending) {
          pending = true;
          setTimeout(
            guard(() => {
              pending = false;
              check();
            }),
            200,
          );
        }
      }),
    ).observe(d, { childList: true, subtree: true, attributes: true, characterData: true });

  var fetchState = (tries) => {
    fetch(url(token), { credentials: "omit" })
      .then((r) => {
        if (r.status === 401 || r.status === 410) ended(token);
        return r.ok ? r.json() : null;
      })
      .then(
        guard((s) => {
          if (!s) return;
          if (s.state === "ended") return ended(token, s.outcome || "ended");
          var c = s.criterion;
          if (c && c.kind === "url_matches") criterion = { kind: c.kind, value: c.value, re: new RegExp(c.value) };
          else if (c && c.kind === "element") criterion = c;
          check();
          if (s.time_left_s !== null && s.time_left_s !== undefined)
            setTimeout(guard(fetchState), s.time_left_s * 1000 + 1500, 0);
        }),
        () => {
          if (tries < 5) setTimeout(guard(fetchState), 3000, tries + 1);
        },
      );
  };

  view("page_view", { referrer: d.referrer.slice(0, 500) });
  guard(fetchState)(0);
})();
