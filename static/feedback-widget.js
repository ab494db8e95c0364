/* uxlab feedback widget: a touchpoint survey in a small dialog on a customer's site.
 *
 *   <script src="https://uxlab.example/static/feedback-widget.js"
 *           data-touchpoint="TOKEN" async></script>
 *
 * It talks only to the uxlab server it was loaded from: it fetches the
 * touchpoint's config, decides whether to show the survey (trigger, sampling,
 * throttling, the site's opt-out) and posts the answers whole under an id it
 * makes, retrying with backoff until the server acknowledges it (the server
 * stores each id once). Opt-out: window.uxlabFeedbackOptOut = true, a
 * data-opt-out attribute on the tag, or the cookie uxlab_feedback_opt_out=1.
 * The site's script may call window.uxlabFeedback.open({order: "A-17"}).
 *
 * What the site's own scripts cannot read: what the customer types. The
 * dialog is in a closed shadow root (no host.shadowRoot, no selector reaches
 * it, the page's HTML does not hold it), events from it reach the page
 * retargeted to the host (no event.target.value), and key and input events
 * stop at its root, so a listener on the document does not see the keys
 * either. The answer lives only in this closure while it is sent, never in
 * globals, attributes or storage (only the sampling decision and the dates
 * of an answer or dismissal are stored), and the dialog is removed after.
 * The cost: an answer still being retried when the visitor leaves gets one
 * last keepalive try, and is lost if that fails too. Keeping it in storage
 * for the next page would save that rare answer, but would leave what the
 * customer wrote readable by every script of the site until then.
 * Limits: a script that runs before this one owns the page's built-ins (it
 * can wrap attachShadow, fetch or a textarea's value), and a listener in
 * the capture phase sees keys before the dialog does; only a frame served
 * from the uxlab origin would keep those out.
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  var script =
    d.currentScript || d.querySelector('script[data-touchpoint][src*="feedback-widget.js"]');
  if (!script || w.uxlabFeedback) return;
  var token = script.getAttribute("data-touchpoint") || "";
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1/cx/widget/" + encodeURIComponent(token);
  var PREFIX = "uxlab-fb:" + token.slice(0, 12) + ":";
  var DAY = 864e5;

  var store = {
    get: function (k) {
      try {
        return w.localStorage.getItem(PREFIX + k);
      } catch (e) {
        return null;
      }
    },
    set: function (k, v) {
      try {
        w.localStorage.setItem(PREFIX + k, v);
      } catch (e) {}
    },
  };

  var optedOut = function () {
    var attr = script.getAttribute("data-opt-out");
    return (
      w.uxlabFeedbackOptOut === true ||
      (attr !== null && attr !== "false") ||
      /(?:^|;\s*)uxlab_feedback_opt_out=1(?:;|$)/.test(d.cookie)
    );
  };

  var uuid = function () {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map
      .call(b, function (x) {
        return (x + 256).toString(16).slice(1);
      })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  };

  var config = null;
  var shown = false;

  // Whether this browser may be asked now: sampled in, not answered or
  // dismissed recently.
  var allowed = function () {
    if (!config || optedOut()) return false;
    var pct = config.sample_percent;
    var sample = (store.get("sample") || "").split(":");
    if (sample[0] !== String(pct)) {
      sample = [String(pct), Math.random() * 100 < pct ? "1" : "0"];
      store.set("sample", sample.join(":"));
    }
    if (sample[1] !== "1") return false;
    var now = Date.now();
    var answered = +store.get("answered") || 0;
    var dismissed = +store.get("dismissed") || 0;
    if (answered && now - answered < config.throttle_days * DAY) return false;
    if (dismissed && now - dismissed < config.dismiss_days * DAY) return false;
    return true;
  };

  var CSS =
    ":host{all:initial}" +
    ".box{position:fixed;right:16px;bottom:16px;z-index:2147483647;max-width:360px;max-height:90vh;overflow:auto;" +
    "box-sizing:border-box;background:#fff;color:#1a1a1a;border:1px solid #555;border-radius:8px;padding:16px;" +
    "font:15px/1.4 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)}" +
    "h2{font-size:17px;margin:0 32px 8px 0}fieldset{border:0;margin:0 0 12px;padding:0}" +
    "legend{padding:0;margin-bottom:6px}.row{display:flex;flex-wrap:wrap;gap:4px}" +
    ".row label{display:inline-flex;align-items:center;justify-content:center;min-width:28px;min-height:28px;" +
    "border:1px solid #555;border-radius:4px;cursor:pointer}" +
    ".row input{position:absolute;opacity:0;width:1px;height:1px}" +
    ".row input:checked+span{font-weight:700;text-decoration:underline}" +
    ".row label:has(input:checked){background:#1a4fa0;color:#fff}" +
    ".row label:has(input:focus-visible){outline:3px solid #b35c00;outline-offset:2px}" +
    ".ends{display:flex;justify-content:space-between;font-size:12px;color:#444}" +
    "textarea{width:100%;box-sizing:border-box;font:inherit}" +
    "button{font:inherit;padding:6px 12px;border-radius:4px;border:1px solid #1a4fa0;background:#1a4fa0;color:#fff;cursor:pointer}" +
    "button.close{position:absolute;top:8px;right:8px;background:#fff;color:#1a1a1a;border-color:#555;padding:2px 8px}" +
    ":focus-visible{outline:3px solid #b35c00;outline-offset:2px}" +
    ".error{color:#a00000}";

  var el = function (tag, props, kids) {
    var node = d.createElement(tag);
    for (var k in props || {}) {
      if (k === "text") node.textContent = props[k];
      else node.setAttribute(k, props[k]);
    }
    (kids || []).forEach(function (kid) {
      node.appendChild(kid);
    });
    return node;
  };

  var host = null;
  var returnTo = null;
  var TYPING = [
    "keydown",
    "keypress",
    "keyup",
    "beforeinput",
    "input",
    "textInput",
    "compositionstart",
    "compositionupdate",
    "compositionend",
    "paste",
    "cut",
    "copy",
  ];

  var close = function (dismissed) {
    if (!host) return;
    if (dismissed) store.set("dismissed", String(Date.now()));
    host.remove();
    host = null;
    if (returnTo && returnTo.focus) returnTo.focus();
    returnTo = null;
  };

  // Post the answer until the server acknowledges it; 4xx other than 408/429
  // is final. The body stays in this closure only: storage would show it to
  // the host page. If the visitor leaves before the acknowledgement, one last
  // try goes out with keepalive, which outlives the page; the answer's own id
  // makes a try that arrives twice count once.
  var send = function (body, done) {
    var tries = 0;
    var settled = false;
    var post = function (keepalive) {
      return fetch(api + "/answers", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "text/plain" },
        body: body,
        keepalive: keepalive,
      });
    };
    var attempt = function () {
      tries += 1;
      post(false).then(
        function (r) {
          if (r.status >= 500 || r.status === 408 || r.status === 429) {
            retry();
            return;
          }
          settled = true;
          r.json().then(
            function (j) {
              done(r.status, j);
            },
            function () {
              done(r.status, {});
            }
          );
        },
        function () {
          retry();
        }
      );
    };
    var timer = 0;
    var retry = function () {
      clearTimeout(timer);
      timer = setTimeout(attempt, Math.min(30000, 500 * Math.pow(2, tries - 1)));
    };
    w.addEventListener("online", function () {
      if (timer) {
        clearTimeout(timer);
        timer = 0;
        attempt();
      }
    });
    w.addEventListener("pagehide", function () {
      if (settled) return;
      clearTimeout(timer);
      timer = 0;
      try {
        post(true).then(null, function () {});
      } catch (e) {
        // A browser without keepalive: nothing more can be done from here.
      }
    });
    attempt();
  };

  var show = function (hidden) {
    if (shown || host || !allowed()) return;
    shown = true;
    returnTo = d.activeElement;
    host = el("div");
    var root = host.attachShadow({ mode: "closed" });
    // Keys and typed text go no further than the dialog (see the header).
    TYPING.forEach(function (type) {
      root.addEventListener(type, function (ev) {
        ev.stopPropagation();
      });
    });
    if (root.adoptedStyleSheets !== undefined && w.CSSStyleSheet) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.appendChild(el("style", { text: CSS }));
    var id = "uxlab-fb-" + Math.random().toString(36).slice(2);
    var form = el("form", { novalidate: "" });
    var status = el("p", { role: "status" });
    var box = el("div", { class: "box", role: "dialog", "aria-labelledby": id + "-t", "aria-modal": "false" }, [
      el("h2", { id: id + "-t", tabindex: "-1", text: config.title }),
      el("button", { type: "button", class: "close", "aria-label": "Close", text: "×" }),
      form,
      status,
    ]);
    config.blocks.forEach(function (b, i) {
      if (b.name === "open_text") {
        form.appendChild(
          el("p", {}, [
            el("label", { for: id + "-open", text: b.question }),
            el("textarea", { id: id + "-open", name: "open_text", rows: "3", maxlength: "5000" }),
          ])
        );
        return;
      }
      var row = el("div", { class: "row" });
      for (var v = b.min; v <= b.max; v++) {
        row.appendChild(
          el("label", {}, [
            el("input", { type: "radio", name: b.name, value: String(v) }),
            el("span", { text: String(v) }),
          ])
        );
      }
      form.appendChild(
        el("fieldset", { "aria-describedby": id + "-e" + i }, [
          el("legend", { text: b.question }),
          row,
          el("div", { class: "ends", id: id + "-e" + i }, [
            el("span", { text: b.min + ": " + b.low }),
            el("span", { text: b.max + ": " + b.high }),
          ]),
        ])
      );
    });
    form.appendChild(el("button", { type: "submit", text: "Send" }));
    root.appendChild(box);
    box.querySelector(".close").addEventListener("click", function () {
      close(true);
    });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") {
        ev.preventDefault();
        close(true);
      }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var answers = {};
      Array.prototype.forEach.call(form.querySelectorAll("input:checked,textarea"), function (f) {
        if (f.value.trim()) answers[f.name] = f.type === "radio" ? +f.value : f.value.trim();
      });
      if (!Object.keys(answers).length) {
        status.className = "error";
        status.textContent = "Choose an answer first.";
        return;
      }
      var fields = {};
      config.hidden.forEach(function (name) {
        var v = (hidden || {})[name] || script.getAttribute("data-field-" + name);
        if (v) fields[name] = String(v);
      });
      var body = JSON.stringify({ id: uuid(), answers: answers, hidden: fields });
      answers = fields = null;
      form.remove();
      status.className = "";
      status.textContent = "Sending…";
      send(body, function (code, reply) {
        body = null;
        if (code === 410 || code === 403 || code === 404) return close(false);
        if (code >= 400) {
          status.className = "error";
          status.textContent = "Your answer could not be taken: " + (reply.message || code);
          return;
        }
        store.set("answered", String(Date.now()));
        status.textContent = "Thank you, your answer is recorded.";
        setTimeout(function () {
          close(false);
        }, 2500);
      });
    });
    (d.body || d.documentElement).appendChild(host);
    var first = root.querySelector("input,textarea");
    (first || root.querySelector("h2")).focus();
  };

  var glob = function (pattern) {
    var parts = pattern.split("*").map(function (p) {
      return p.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    });
    return new RegExp("^" + parts.join(".*") + "$");
  };

  var arm = function () {
    if (config.trigger === "delay") setTimeout(show, config.delay_s * 1000);
    else if (config.trigger === "url") {
      var re = glob(config.url_pattern);
      var check = function () {
        var path = location.pathname + location.search;
        if (re.test(path) || re.test(path + location.hash)) show();
      };
      check();
      w.addEventListener("popstate", check);
      w.addEventListener("hashchange", check);
      // A single-page site moves on with history.pushState, which fires no
      // event: the Navigation API reports it; without one, look once a second.
      var nav = w.navigation;
      if (nav && nav.addEventListener) nav.addEventListener("currententrychange", check);
      else {
        var last = location.href;
        var poll = setInterval(function () {
          if (shown) clearInterval(poll);
          else if (location.href !== last) {
            last = location.href;
            check();
          }
        }, 1000);
      }
    } else if (config.trigger === "exit")
      d.addEventListener("mouseout", function (ev) {
        if (!ev.relatedTarget && ev.clientY <= 0) show();
      });
  };

  var pending = null;
  Object.defineProperty(w, "uxlabFeedback", {
    value: Object.freeze({
      open: function (hidden) {
        if (config) show(hidden);
        else pending = hidden || {};
      },
    }),
  });

  if (optedOut() || !token) return;
  fetch(api, { mode: "cors", credentials: "omit" })
    .then(function (r) {
      return r.ok ? r.json() : null;
    })
    .then(
      function (c) {
        if (!c) return;
        config = c;
        arm();
        if (pending) show(pending);
      },
      function () {}
    );
})();
