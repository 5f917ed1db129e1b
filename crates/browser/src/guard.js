// beside's in-page guard: finds the fields the agent must not see and the controls the agent
// must not trigger, reports their rectangles on every animation frame where something changed
// (and at least every second), and answers hit tests and focus questions.
//
// It runs in the isolated world `beside` of the top frame, which the page cannot see; `RULES`
// (the tables of `policy::masking::guard_rules` and `policy::blocking::guard_block_rules`) is
// prepended by the browser crate. Same-origin iframes are walked into from here; a frame whose
// document cannot be read is reported whole as masked. Every entry point catches what it can:
// the guard must never break the page, and a guard that fails stops reporting, which the server
// treats as "no valid map" (fail closed).
(() => {
  "use strict";
  if (globalThis.__besideGuardInstalled) return;
  try {
    if (window.top !== window) return;
  } catch (_) {
    return;
  }
  const report = globalThis.__besideGuard;
  if (typeof report !== "function") return;
  globalThis.__besideGuardInstalled = true;

  // ---- Rules: the same steps as `policy`'s `classify` and `classify_control`. ----

  const MASK = RULES.mask;
  const BLOCK = RULES.block;
  const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const compile = (list, flags) =>
    list.length ? new RegExp(list.map((p) => `(?:${p})`).join("|"), flags) : null;
  const MASK_KINDS = MASK.patterns.map((k) => ({
    kind: k.kind,
    re: compile(k.patterns, MASK.regex_flags),
  }));
  const BLOCK_REASONS = BLOCK.reasons.map((r) => ({
    reason: r.reason,
    re: compile(r.patterns, BLOCK.regex_flags),
    except: compile(r.exceptions, BLOCK.regex_flags),
  }));
  const asciiLower = (s) => String(s).trim().replace(/[A-Z]/g, (c) => c.toLowerCase());

  /** The normal form of `policy::Normalization`. */
  const normalize = (input, split, max) => {
    // Characters, not UTF-16 units, as Rust counts them.
    let s = Array.from(String(input).slice(0, max * 2)).slice(0, max).join("");
    s = s.normalize("NFKD").replace(/\p{M}/gu, "");
    if (split) {
      s = s.replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2").replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2");
    }
    return s
      .toLowerCase()
      .replace(/ß/g, "ss")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
  };

  /** `policy::masking::classify` over `FieldSignals`. */
  const classifyField = (f) => {
    const type = f.input_type == null ? null : asciiLower(f.input_type);
    if (type != null && hasOwn(MASK.always_masked_input_types, type)) {
      return MASK.always_masked_input_types[type];
    }
    if (f.mask_attr === false) return null;
    if (f.mask_attr === true) return "company_rule";
    if (f.autocomplete != null) {
      for (const token of String(f.autocomplete).split(/[\t\n\f\r ]+/)) {
        const t = asciiLower(token);
        if (t && hasOwn(MASK.autocomplete, t)) return MASK.autocomplete[t];
      }
    }
    if (type != null && MASK.unclassified_input_types.includes(type)) return null;
    const max = MASK.normalization.max_chars;
    const texts = [];
    for (const name of MASK.text_signals) {
      if (f[name] != null) {
        const t = normalize(f[name], MASK.normalization.split_camel_case, max);
        if (t) texts.push(t);
      }
    }
    for (const { kind, re } of MASK_KINDS) {
      if (re && texts.some((t) => re.test(t))) return kind;
    }
    return null;
  };

  const isTextEntry = (c) => {
    const tag = asciiLower(c.tag || "");
    if (tag === "input") {
      const type = c.input_type == null ? "text" : asciiLower(c.input_type);
      if (!BLOCK.clickable_input_types.includes(type)) return true;
    }
    return (
      BLOCK.text_entry_tags.includes(tag) ||
      (c.role != null && BLOCK.text_entry_roles.includes(asciiLower(c.role)))
    );
  };

  /** `policy::blocking::classify_control` over `ControlSignals`. */
  const classifyControl = (c) => {
    if (c.block_attr === true) return "company_rule";
    if (c.is_submit && c.form_has_masked_field) return "sensitive_form_submit";
    if (c.block_attr === false || isTextEntry(c)) return null;
    if (c.text == null) return null;
    const text = normalize(c.text, BLOCK.normalization.split_camel_case, BLOCK.normalization.max_chars);
    if (!text) return null;
    for (const r of BLOCK_REASONS) {
      if (r.re && r.re.test(text) && !(r.except && r.except.test(text))) return r.reason;
    }
    return null;
  };

  // ---- Reading signals from the DOM. ----

  const FIELDS = 'input, textarea, select, [contenteditable]:not([contenteditable="false" i])';
  const CONTROLS =
    "button, a[href], input[type=submit i], input[type=button i], input[type=image i]," +
    " input[type=reset i], input[type=checkbox i], [role=button i], [role=link i]," +
    " [role=checkbox i], [role=switch i], [role=menuitem i], [data-beside-block]";
  const FRAMES = "iframe, frame, object, embed";
  const MAX_TEXT = 2048;

  const attr = (el, name) => el.getAttribute(name);
  const text = (node) => (node.textContent || "").slice(0, MAX_TEXT);

  const maskAttr = (el) => {
    const marked = el.closest("[data-beside-mask], [data-beside-unmask]");
    if (!marked) return null;
    return marked.hasAttribute("data-beside-mask");
  };

  const blockAttr = (el) => {
    const marked = el.closest("[data-beside-block]");
    if (!marked) return null;
    return asciiLower(attr(marked, "data-beside-block") || "") !== "false";
  };

  const labelText = (el) => {
    const parts = [];
    try {
      if (el.labels) for (const label of el.labels) parts.push(text(label));
    } catch (_) {
      // Not a labelable element.
    }
    const ids = attr(el, "aria-labelledby");
    if (ids) {
      const root = el.getRootNode();
      for (const id of ids.split(/\s+/)) {
        const ref = id && root.getElementById ? root.getElementById(id) : null;
        if (ref) parts.push(text(ref));
      }
    }
    return parts.length ? parts.join(" ") : null;
  };

  const isEditableRoot = (el) => {
    if (el.localName === "input" || el.localName === "textarea" || el.localName === "select") {
      return true;
    }
    const parent = el.parentElement;
    return !parent || !parent.closest('[contenteditable]:not([contenteditable="false" i])');
  };

  const fieldSignals = (el) => ({
    tag: el.localName,
    input_type: el.localName === "input" ? attr(el, "type") : null,
    autocomplete: attr(el, "autocomplete"),
    id: el.id || null,
    name: attr(el, "name"),
    label: labelText(el),
    placeholder: attr(el, "placeholder"),
    aria_label: attr(el, "aria-label"),
    title: attr(el, "title"),
    inputmode: attr(el, "inputmode"),
    mask_attr: maskAttr(el),
  });

  /** The classification of a control that does not depend on its form. */
  const controlBase = (el) => {
    const tag = el.localName;
    const type = tag === "input" ? asciiLower(attr(el, "type") || "text") : null;
    const isSubmit =
      !!el.form &&
      ((tag === "button" && el.type === "submit") ||
        (tag === "input" && (type === "submit" || type === "image")));
    const texts = [attr(el, "aria-label"), attr(el, "title")];
    if (tag === "input") {
      if (type === "image") texts.push(attr(el, "alt"));
      else if (type === "checkbox") texts.push(labelText(el));
      else texts.push(el.value || (type === "submit" ? "Submit" : null));
    } else {
      texts.push(text(el));
      const labels = labelText(el);
      if (labels) texts.push(labels);
    }
    const signals = {
      tag,
      input_type: tag === "input" ? attr(el, "type") : null,
      role: attr(el, "role"),
      text: null,
      is_submit: false,
      form_has_masked_field: false,
      block_attr: null,
    };
    let textReason = null;
    for (const t of texts) {
      if (t == null) continue;
      textReason = classifyControl({ ...signals, text: t });
      if (textReason) break;
    }
    return { blockAttr: blockAttr(el), isSubmit, textReason };
  };

  const controlReason = (base, formMasked) => {
    if (base.blockAttr === true) return "company_rule";
    if (base.isSubmit && formMasked) return "sensitive_form_submit";
    if (base.blockAttr === false) return null;
    return base.textReason;
  };

  const contentDoc = (frame) => {
    try {
      return frame.contentDocument || null;
    } catch (_) {
      return null;
    }
  };

  // ---- The map: candidates found when the DOM changed, measured on every frame. ----

  const OBSERVE = {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: [
      "type", "autocomplete", "id", "name", "placeholder", "aria-label", "aria-labelledby",
      "title", "for", "role", "contenteditable", "href", "value", "alt", "form",
      "data-beside-mask", "data-beside-unmask", "data-beside-block",
    ],
  };

  /** Classifications by element; entries under a changed node are dropped at the next scan. */
  let fieldCache = new WeakMap();
  let controlCache = new WeakMap();
  const observed = new WeakSet();
  const state = {
    dirty: true,
    everything: false,
    /** Nodes whose subtree changed: their descendants and ancestors are classified again. */
    changedRoots: new Set(),
    /** Nodes at or above a change. */
    changedUp: new Set(),
    masked: [], // { el, kind, chain }
    blocked: [], // { el, reason, chain }
    frames: [], // { el, doc }
    maskedMap: new Map(),
    blockedMap: new Map(),
    maskedForms: new Set(),
  };

  const noteChange = (node) => {
    if (!node) return;
    if (state.changedRoots.size > 256) {
      state.everything = true;
      return;
    }
    state.changedRoots.add(node);
    for (let n = node; n; n = n.parentNode) {
      if (state.changedUp.has(n)) break;
      state.changedUp.add(n);
    }
  };

  const noteLabels = (node, doc) => {
    if (!node || node.nodeType !== 1) return;
    const labels = node.localName === "label" ? [node] : node.querySelectorAll("label");
    for (const label of labels) {
      const control = label.control || (label.htmlFor ? doc.getElementById(label.htmlFor) : null);
      if (control) noteChange(control);
    }
  };

  const observer = new MutationObserver((records) => {
    try {
      state.dirty = true;
      if (state.everything) return;
      for (const r of records) {
        const target = r.type === "characterData" ? r.target.parentElement : r.target;
        noteChange(target);
        const doc = r.target.ownerDocument || r.target;
        const label = target && target.closest ? target.closest("label") : null;
        if (label) noteLabels(label, doc);
        if (r.type === "attributes" && (r.attributeName === "id" || r.attributeName === "for")) {
          state.everything = true;
        }
        for (const n of r.addedNodes) noteLabels(n, doc);
        for (const n of r.removedNodes) noteLabels(n, doc);
      }
    } catch (_) {
      state.everything = true;
    }
  });

  const observe = (doc) => {
    if (observed.has(doc)) return;
    observed.add(doc);
    try {
      observer.observe(doc, OBSERVE);
    } catch (_) {
      // A document that cannot be observed is scanned on every change we see elsewhere.
    }
  };

  const isStale = (el) => {
    if (state.everything || state.changedUp.has(el)) return true;
    if (el.hasAttribute("aria-labelledby")) return state.changedRoots.size > 0;
    for (let n = el; n; n = n.parentNode) if (state.changedRoots.has(n)) return true;
    return false;
  };

  const fieldKind = (el) => {
    let entry = fieldCache.get(el);
    if (entry === undefined || isStale(el)) {
      entry = isEditableRoot(el) ? classifyField(fieldSignals(el)) : null;
      fieldCache.set(el, entry);
    }
    return entry;
  };

  const controlOf = (el) => {
    let entry = controlCache.get(el);
    if (entry === undefined || isStale(el)) {
      entry = controlBase(el);
      controlCache.set(el, entry);
    }
    return entry;
  };

  const scanDoc = (doc, chain, depth) => {
    observe(doc);
    const addMasked = (el, kind) => {
      state.masked.push({ el, kind, chain });
      state.maskedMap.set(el, kind);
    };
    for (const el of doc.querySelectorAll(FIELDS)) {
      const kind = fieldKind(el);
      if (kind) {
        addMasked(el, kind);
        if (el.form) state.maskedForms.add(el.form);
      }
    }
    for (const el of doc.querySelectorAll("[data-beside-mask]")) {
      if (!state.maskedMap.has(el)) addMasked(el, "company_rule");
    }
    for (const el of doc.querySelectorAll(CONTROLS)) {
      const reason = controlReason(controlOf(el), !!el.form && state.maskedForms.has(el.form));
      if (reason) {
        state.blocked.push({ el, reason, chain });
        state.blockedMap.set(el, reason);
      }
    }
    for (const el of doc.querySelectorAll(FRAMES)) {
      const inner = contentDoc(el);
      state.frames.push({ el, doc: inner });
      if (inner && depth < 8) {
        scanDoc(inner, chain.concat([el]), depth + 1);
      } else {
        addMasked(el, "cross_origin_frame");
      }
    }
  };

  const scan = () => {
    if (state.everything) {
      fieldCache = new WeakMap();
      controlCache = new WeakMap();
    }
    state.masked = [];
    state.blocked = [];
    state.frames = [];
    state.maskedMap = new Map();
    state.blockedMap = new Map();
    state.maskedForms = new Set();
    scanDoc(document, [], 0);
    state.dirty = false;
    state.everything = false;
    state.changedRoots.clear();
    state.changedUp.clear();
  };

  /** Rescans when the DOM or a frame's document changed since the last scan. */
  const ensureFresh = () => {
    if (!state.dirty) {
      for (const f of state.frames) {
        if (contentDoc(f.el) !== f.doc) {
          state.dirty = true;
          state.everything = true;
          break;
        }
      }
    }
    if (state.dirty) scan();
  };

  const round = (v) => Math.round(v * 100) / 100;

  /** Per measurement: memoized fixed/sticky ancestry and frame offsets. */
  const measurer = () => {
    const fixedMemo = new Map();
    const isFixed = (el) => {
      const seen = [];
      let result = false;
      for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
        if (fixedMemo.has(n)) {
          result = fixedMemo.get(n);
          break;
        }
        seen.push(n);
        const view = n.ownerDocument.defaultView;
        const position = view ? view.getComputedStyle(n).position : "";
        if (position === "fixed" || position === "sticky") {
          result = true;
          break;
        }
      }
      for (const n of seen) fixedMemo.set(n, result);
      return result;
    };
    const frameMemo = new Map();
    /** Offset and clip of the content box of the last frame of `chain`; null when hidden. */
    const frameBox = (chain) => {
      if (chain.length === 0) return { x: 0, y: 0, clip: null };
      const el = chain[chain.length - 1];
      if (frameMemo.has(el)) return frameMemo.get(el);
      let box = null;
      const outer = frameBox(chain.slice(0, -1));
      const r = el.getBoundingClientRect();
      const visible = !el.checkVisibility || el.checkVisibility({ visibilityProperty: true });
      if (outer && visible && r.width > 0 && r.height > 0) {
        const view = el.ownerDocument.defaultView;
        const cs = view ? view.getComputedStyle(el) : null;
        const px = (v) => (cs ? parseFloat(cs[v]) || 0 : 0);
        const x = outer.x + r.left + el.clientLeft + px("paddingLeft");
        const y = outer.y + r.top + el.clientTop + px("paddingTop");
        const w = el.clientWidth - px("paddingLeft") - px("paddingRight");
        const h = el.clientHeight - px("paddingTop") - px("paddingBottom");
        let clip = [x, y, x + Math.max(0, w), y + Math.max(0, h)];
        if (outer.clip) {
          clip = [
            Math.max(clip[0], outer.clip[0]),
            Math.max(clip[1], outer.clip[1]),
            Math.min(clip[2], outer.clip[2]),
            Math.min(clip[3], outer.clip[3]),
          ];
        }
        box = { x, y, clip };
      }
      frameMemo.set(el, box);
      return box;
    };
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    /** `[x, y, w, h, fixed]` in top-level viewport pixels, or null when not on screen. */
    const measure = (el, chain) => {
      const box = frameBox(chain);
      if (!box) return null;
      if (!el.isConnected) return null;
      const r = el.getBoundingClientRect();
      if (!(r.width > 0 && r.height > 0)) return null;
      if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true })) return null;
      let x0 = r.left + box.x;
      let y0 = r.top + box.y;
      let x1 = x0 + r.width;
      let y1 = y0 + r.height;
      if (box.clip) {
        x0 = Math.max(x0, box.clip[0]);
        y0 = Math.max(y0, box.clip[1]);
        x1 = Math.min(x1, box.clip[2]);
        y1 = Math.min(y1, box.clip[3]);
        if (x1 <= x0 || y1 <= y0) return null;
      }
      // Rects up to a viewport away are kept, so a frame painted at a nearby scroll offset
      // can still be covered.
      if (x1 < -vw || y1 < -vh || x0 > 2 * vw || y0 > 2 * vh) return null;
      const fixed = isFixed(chain.length ? chain[0] : el) ? 1 : 0;
      return [round(x0), round(y0), round(x1 - x0), round(y1 - y0), fixed];
    };
    return { measure, vw, vh };
  };

  let seq = 0;
  let lastKey = null;
  let lastSent = -Infinity;
  let lastStep = -Infinity;
  const HEARTBEAT_MS = 750;

  // `ts` is the animation frame's start (the page's own clock); reports carry it as Unix
  // milliseconds, so the server can tell which report belongs to which screencast frame.
  const step = (ts) => {
    lastStep = performance.now();
    const t = performance.timeOrigin + (typeof ts === "number" ? ts : lastStep);
    ensureFresh();
    const { measure, vw, vh } = measurer();
    const masked = [];
    for (const m of state.masked) {
      const r = measure(m.el, m.chain);
      if (r) masked.push(r.concat([m.kind]));
    }
    const blocked = [];
    for (const b of state.blocked) {
      const r = measure(b.el, b.chain);
      if (r) blocked.push(r.concat([b.reason]));
      if (b.el.labels) {
        for (const label of b.el.labels) {
          const lr = measure(label, b.chain);
          if (lr) blocked.push(lr.concat([b.reason]));
        }
      }
    }
    const url = location.href;
    const sx = round(window.scrollX);
    const sy = round(window.scrollY);
    const key = JSON.stringify([url, sx, sy, vw, vh, masked, blocked]);
    const now = performance.now();
    if (key === lastKey && now - lastSent < HEARTBEAT_MS) {
      // Nothing moved: say so, so frames of this moment need not wait for a report.
      report('{"tick":' + t + "}");
      return;
    }
    lastKey = key;
    lastSent = now;
    seq += 1;
    report(JSON.stringify({ seq, t, url, sx, sy, vw, vh, masked, blocked }));
  };

  const tick = (ts) => {
    try {
      step(ts);
    } catch (_) {
      // No report: the server's map goes stale and it fails closed.
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // Animation frames stop when nothing is painted; the heartbeat goes on.
  setInterval(() => {
    if (performance.now() - lastStep > 1000) {
      try {
        step();
      } catch (_) {
        // As above.
      }
    }
  }, 500);

  // ---- Questions from the server. ----

  const isFrame = (el) => el.matches(FRAMES);

  const blockedAt = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const reason = state.blockedMap.get(a);
      if (reason) return reason;
      if (a.localName === "label" && a.control) {
        const control = state.blockedMap.get(a.control);
        if (control) return control;
      }
    }
    return null;
  };

  const maskedAt = (el) => {
    for (let a = el; a; a = a.parentElement) {
      if (state.maskedMap.has(a)) return true;
    }
    return false;
  };

  globalThis.__besideHitTest = (x, y) => {
    ensureFresh();
    let doc = document;
    let ox = 0;
    let oy = 0;
    let masked = false;
    let outerBlocked = null;
    for (let depth = 0; depth < 10; depth += 1) {
      const el = doc.elementFromPoint(x - ox, y - oy);
      if (!el) break;
      const blocked = blockedAt(el);
      masked = masked || maskedAt(el);
      if (!isFrame(el)) return JSON.stringify({ blocked: blocked || outerBlocked, masked });
      outerBlocked = outerBlocked || blocked;
      const inner = contentDoc(el);
      if (!inner) return JSON.stringify({ blocked: outerBlocked, masked: true });
      const r = el.getBoundingClientRect();
      const view = el.ownerDocument.defaultView;
      const cs = view.getComputedStyle(el);
      const left = r.left + el.clientLeft + (parseFloat(cs.paddingLeft) || 0);
      const top = r.top + el.clientTop + (parseFloat(cs.paddingTop) || 0);
      const innerX = x - ox - left;
      const innerY = y - oy - top;
      if (innerX < 0 || innerY < 0 || innerX >= el.clientWidth || innerY >= el.clientHeight) {
        // On the frame's border or padding: the frame element itself.
        return JSON.stringify({ blocked: outerBlocked, masked });
      }
      ox += left;
      oy += top;
      doc = inner;
    }
    return JSON.stringify({ blocked: outerBlocked, masked });
  };

  /** The reason pressing Enter in `form` may submit something the agent may not trigger. */
  const formBlocked = (form) => {
    let defaultButton = null;
    for (const el of form.elements) {
      const tag = el.localName;
      const type = asciiLower(attr(el, "type") || "");
      if ((tag === "button" && el.type === "submit") ||
          (tag === "input" && (type === "submit" || type === "image"))) {
        defaultButton = el;
        break;
      }
    }
    const reason = defaultButton ? state.blockedMap.get(defaultButton) : null;
    if (reason) return reason;
    return state.maskedForms.has(form) ? "sensitive_form_submit" : null;
  };

  globalThis.__besideFocus = () => {
    ensureFresh();
    let el = document.activeElement;
    let masked = false;
    for (let depth = 0; depth < 10 && el && isFrame(el); depth += 1) {
      masked = masked || maskedAt(el);
      const inner = contentDoc(el);
      if (!inner) return JSON.stringify({ masked: true, blocked: blockedAt(el), form_blocked: null });
      el = inner.activeElement;
    }
    if (!el) return JSON.stringify({ masked, blocked: null, form_blocked: null });
    const form = el.form || el.closest("form");
    return JSON.stringify({
      masked: masked || maskedAt(el),
      blocked: blockedAt(el),
      form_blocked: form ? formBlocked(form) : null,
    });
  };

  /** The rules alone, for tests that compare them with `policy`. */
  globalThis.__besideGuardRules = { normalize, classifyField, classifyControl };
})();
