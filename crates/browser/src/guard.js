// beside's in-page guard: finds the fields the agent must not see and the controls the agent
// must not trigger, reports their rectangles on every animation frame where something changed,
// and answers hit tests and focus questions.
//
// It measures on animation frames only while the page may be moving: after a DOM change, a
// scroll, a resize, a load, or while animations run; then it goes idle, so a still page costs
// nothing. (Input alone moves nothing: what it changes shows as a DOM change or a scroll. And
// a page that renders on every animation frame takes input a frame later, which people feel.)
// The server asks for animation frames when a screencast frame arrives that the guard has not
// spoken for (`__besideWake`). Measurements are dated with the animation frame's time, the
// clock screencast frames are stamped with. A screencast frame shows the layout of an earlier
// animation frame (headless Chromium stamps it two frames later, measured), so the server pairs
// it with the measurements around its time. Every DOM change is also measured at once, when
// the script that made it has finished: a script that changes the page in an animation-frame
// callback and again in the next would otherwise show a layout no animation-frame measurement
// saw (the guard's callback may run before or after the page's). Should a frame ever show the
// animation frame it is stamped with, a change after the guard measured in it makes that
// measurement stale: the guard says so at once ("late"), and the server waits for the next
// measurement for that frame.
//
// It runs in the isolated world `beside` of the top frame, which the page cannot see. The
// browser crate wraps it in a function of `RULES` (the tables of `policy::masking::guard_rules`
// and `policy::blocking::guard_block_rules`) and `COMPANY` (the company's rules from
// `policy::rules::guard_company_rules`: CSS selectors with the pages they apply to). Same-origin
// iframes and open shadow roots are walked into from here; a frame whose document cannot be
// read is reported whole as masked. Closed shadow roots cannot be seen from any script.
// Every entry point catches what it can:
// the guard must never break the page, and a guard that fails stops reporting, which the server
// treats as "no valid map" (fail closed).
(() => {
  "use strict";
  if (globalThis.__besideGuardInstalled) {
    // A newer copy of the script (the company's rules changed): hand the rules over.
    if (typeof globalThis.__besideSetCompanyRules === "function") {
      globalThis.__besideSetCompanyRules(COMPANY);
    }
    return;
  }
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

  // ---- Company rules: `policy::rules::UrlPattern::matches`, step by step. ----

  const escapeRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const globCache = new Map();
  /** Whether `text` matches `glob`, where `*` is any run of characters. */
  const globMatches = (glob, text) => {
    let re = globCache.get(glob);
    if (!re) {
      re = new RegExp("^" + glob.split("*").map(escapeRe).join("[\\s\\S]*") + "$");
      globCache.set(glob, re);
    }
    return re.test(text);
  };

  /** Whether the page at `href` is covered by a rule's `pages` (a `GuardPattern`). */
  const pageMatches = (p, href) => {
    if (p.every) return true;
    let u;
    try {
      u = new URL(href);
    } catch (_) {
      return false;
    }
    const scheme = u.protocol.slice(0, -1);
    if (scheme !== "http" && scheme !== "https") return false;
    if (p.scheme != null && p.scheme !== scheme) return false;
    const host = asciiLower(u.hostname).replace(/\.$/, "");
    if (!host) return false;
    if (p.host != null && host !== p.host && !(p.subdomains && host.endsWith("." + p.host))) {
      return false;
    }
    if (p.port != null) {
      const port = u.port ? Number(u.port) : scheme === "https" ? 443 : 80;
      if (port !== p.port) return false;
    }
    if (p.path != null) {
      const path = asciiLower(u.pathname);
      const dir = p.path.endsWith("/*") ? p.path.slice(0, -2) : null;
      if (!globMatches(p.path, path) && dir !== path) return false;
    }
    return true;
  };

  let companyRules = Array.isArray(COMPANY) ? COMPANY : [];
  /** The company's rules for a document at `href`. */
  const rulesFor = (href) => companyRules.filter((r) => pageMatches(r.pages, href));

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
    /** @type {{el: any, kind: string, chain: Element[]}[]} */
    masked: [],
    /** @type {{el: any, reason: string, chain: Element[]}[]} */
    blocked: [],
    /** @type {{el: Element, doc: Document | null}[]} */
    frames: [],
    /**
     * Frames that cannot be read and shadow roots nested too deep: masked whole.
     * @type {{el: Element, chain: Element[], kind: string}[]}
     */
    opaque: [],
    /**
     * Trees holding custom elements not defined yet, checked on every frame.
     * @type {{root: Document | ShadowRoot, n: number}[]}
     */
    undefinedRoots: [],
    maskedMap: new Map(),
    blockedMap: new Map(),
    maskedForms: new Set(),
  };

  /** The node above `n`, crossing from a shadow root to its host. */
  const up = (n) => n.parentNode || n.host || null;
  /** The element above `el`, crossing from a shadow root to its host. */
  const upElement = (el) => {
    const p = el.parentNode;
    if (!p) return null;
    return p.nodeType === 1 ? p : p.host || null;
  };

  const noteChange = (node) => {
    if (!node) return;
    if (state.changedRoots.size > 256) {
      state.everything = true;
      return;
    }
    state.changedRoots.add(node);
    for (let n = node; n; n = up(n)) {
      if (state.changedUp.has(n)) break;
      state.changedUp.add(n);
    }
  };

  const noteLabels = (node) => {
    if (!node || node.nodeType !== 1) return;
    const labels = node.localName === "label" ? [node] : node.querySelectorAll("label");
    for (const label of labels) {
      const scope = label.getRootNode();
      const byFor = label.htmlFor && scope.getElementById ? scope.getElementById(label.htmlFor) : null;
      const control = label.control || byFor;
      if (control) noteChange(control);
    }
  };

  /** Attributes whose change can change what is masked or blocked (the rest only wake). */
  let classifyAttrs = new Set(OBSERVE.attributeFilter);

  /** The time of the last measurement that a DOM change has made stale ("late"), if told. */
  let lateSent = -1;

  const observer = new MutationObserver((records) => {
    wake();
    if (lastT > 0 && lateSent !== lastT) {
      lateSent = lastT;
      report('{"late":' + lastT + "}");
    }
    try {
      classify(records);
    } catch (_) {
      state.everything = true;
    }
    // Measure now, not only on the next animation frame: a change made in an animation-frame
    // callback (by a script that moves things every frame) is painted in this frame, and the
    // same script may change it again before the guard's next measurement, so the layout it
    // shows would never be measured. Dated with this animation frame's time.
    try {
      const now = document.timeline && document.timeline.currentTime;
      step(typeof now === "number" ? now : undefined);
    } catch (_) {
      // No report: the server's map goes stale and it fails closed.
    }
  });

  /** Marks what the mutations may have changed for the next scan to classify again. */
  const classify = (records) => {
    const relevant = records.filter(
      (r) => r.type !== "attributes" || classifyAttrs.has(r.attributeName),
    );
    if (relevant.length === 0) return;
    state.dirty = true;
    if (state.everything) return;
    for (const r of relevant) {
      const target = r.type === "characterData" ? r.target.parentElement : r.target;
      noteChange(target);
      const label = target && target.closest ? target.closest("label") : null;
      if (label) noteLabels(label);
      if (r.type === "attributes" && (r.attributeName === "id" || r.attributeName === "for")) {
        state.everything = true;
      }
      for (const n of r.addedNodes) noteLabels(n);
      for (const n of r.removedNodes) noteLabels(n);
    }
  };

  /**
   * What the observer watches: every attribute (a style or class change may move things, which
   * wakes the measuring); the ones classification depends on, company rules' included, also
   * make the next scan classify again.
   */
  const observeOptions = () => {
    const attrs = new Set(OBSERVE.attributeFilter);
    if (companyRules.length > 0) {
      attrs.add("class");
      for (const r of companyRules) {
        for (const m of String(r.selector).matchAll(/\[\s*([^\s~|^$*=\]]+)/g)) {
          attrs.add(m[1].toLowerCase());
        }
      }
    }
    classifyAttrs = attrs;
    const { attributeFilter: _, ...all } = OBSERVE;
    return all;
  };

  /** Documents and shadow roots being observed (weakly: a removed frame's document goes). */
  let observedRoots = [];
  const observe = (root) => {
    if (observed.has(root)) return;
    observed.add(root);
    observedRoots.push(new WeakRef(root));
    try {
      observer.observe(root, observeOptions());
    } catch (_) {
      // A tree that cannot be observed is scanned on every change we see elsewhere.
    }
  };

  /** The company's rules changed: observe with the new options and classify everything again. */
  globalThis.__besideSetCompanyRules = (list) => {
    companyRules = Array.isArray(list) ? list : [];
    const options = observeOptions();
    observedRoots = observedRoots.filter((ref) => {
      const root = ref.deref();
      if (!root) return false;
      try {
        observer.observe(root, options);
      } catch (_) {
        // As in `observe`.
      }
      return true;
    });
    state.dirty = true;
    state.everything = true;
    // Measure with the new rules now, not when the page next moves.
    wake();
  };

  const isStale = (el) => {
    if (state.everything || state.changedUp.has(el)) return true;
    if (el.hasAttribute("aria-labelledby")) return state.changedRoots.size > 0;
    for (let n = el; n; n = up(n)) if (state.changedRoots.has(n)) return true;
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

  /** Frames nest at most this deep before a frame is masked whole; shadow roots likewise. */
  const MAX_FRAME_DEPTH = 8;
  const MAX_SHADOW_DEPTH = 32;

  /** The address company rules see for a document: its own, or its creator's for about:blank. */
  const docUrl = (doc, parentUrl) => {
    const url = doc.URL || "";
    return /^https?:/i.test(url) ? url : parentUrl;
  };

  /**
   * Every tree the guard reads, top document first: same-origin frames' documents and open
   * shadow roots, each with the frames it lies in (`chain`) and the address rules apply to.
   */
  const collectRoots = (root, chain, url, frameDepth, shadowDepth, out) => {
    observe(root);
    out.push({ root, chain, url });
    for (const el of root.querySelectorAll(FRAMES)) {
      const inner = contentDoc(el);
      state.frames.push({ el, doc: inner });
      if (inner && frameDepth < MAX_FRAME_DEPTH) {
        listen(inner.defaultView);
        collectRoots(inner, chain.concat([el]), docUrl(inner, url), frameDepth + 1, 0, out);
      } else {
        state.opaque.push({ el, chain, kind: "cross_origin_frame" });
      }
    }
    for (const el of root.querySelectorAll("*")) {
      const shadow = el.shadowRoot;
      if (!shadow) continue;
      if (shadowDepth < MAX_SHADOW_DEPTH) {
        collectRoots(shadow, chain, url, frameDepth, shadowDepth + 1, out);
      } else {
        state.opaque.push({ el, chain, kind: "unreadable" });
      }
    }
    const n = root.querySelectorAll(":not(:defined)").length;
    if (n > 0) state.undefinedRoots.push({ root, n });
  };

  /** What a company rule's selector finds in a tree; nothing for a selector the browser refuses. */
  const select = (root, selector) => {
    try {
      return root.querySelectorAll(selector);
    } catch (_) {
      return [];
    }
  };

  /** Longest label the agent's mask names. */
  const MAX_LABEL = 40;

  /**
   * What a masked field is called, for the agent's mask ("Card number — hidden"): its label,
   * accessible name or the text just before it. Never its value or placeholder.
   */
  /** The words of `label` itself: not those of the field or of other controls inside it. */
  const textBeside = (label, el) => {
    let out = "";
    const walk = (node) => {
      for (const c of node.childNodes) {
        if (c.nodeType === 3) out += c.textContent;
        else if (c.nodeType === 1 && c !== el && !/^(INPUT|SELECT|TEXTAREA|BUTTON|SCRIPT|STYLE)$/.test(c.tagName)) walk(c);
      }
    };
    walk(label);
    return out;
  };

  const labelOf = (el) => {
    try {
      let text = "";
      if (el.labels && el.labels.length) text = textBeside(el.labels[0], el);
      if (!text.trim() && el.getAttribute) text = el.getAttribute("aria-label") || "";
      if (!text.trim() && el.getAttribute) {
        const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
        text = ids.map((id) => (el.ownerDocument.getElementById(id) || {}).textContent || "").join(" ");
      }
      if (!text.trim()) {
        const before = el.previousSibling;
        if (before && before.nodeType === 3) text = before.textContent || "";
      }
      text = text.replace(/\s+/g, " ").trim().replace(/[:：]$/, "").trim();
      return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "…" : text;
    } catch (_) {
      return "";
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
    state.opaque = [];
    state.undefinedRoots = [];
    state.maskedMap = new Map();
    state.blockedMap = new Map();
    state.maskedForms = new Set();
    const roots = [];
    collectRoots(document, [], docUrl(document, location.href), 0, 0, roots);
    const addMasked = (el, kind, chain) => {
      if (state.maskedMap.has(el)) return;
      state.masked.push({ el, kind, chain, label: labelOf(el) });
      state.maskedMap.set(el, kind);
      if (el.form) state.maskedForms.add(el.form);
    };
    const addBlocked = (el, reason, chain) => {
      if (state.blockedMap.has(el)) return;
      state.blocked.push({ el, reason, chain });
      state.blockedMap.set(el, reason);
    };
    // Masks first, everywhere: whether a form holds a masked field decides its submit buttons.
    for (const r of roots) {
      r.rules = rulesFor(r.url);
      for (const el of r.root.querySelectorAll(FIELDS)) {
        const kind = fieldKind(el);
        if (kind) addMasked(el, kind, r.chain);
      }
      for (const el of r.root.querySelectorAll("[data-beside-mask]")) {
        addMasked(el, "company_rule", r.chain);
      }
      for (const rule of r.rules) {
        if (rule.kind !== "mask") continue;
        for (const el of select(r.root, rule.selector)) addMasked(el, "company_rule", r.chain);
      }
    }
    for (const o of state.opaque) addMasked(o.el, o.kind, o.chain);
    for (const r of roots) {
      for (const rule of r.rules) {
        if (rule.kind !== "block") continue;
        for (const el of select(r.root, rule.selector)) addBlocked(el, "company_rule", r.chain);
      }
      for (const el of r.root.querySelectorAll(CONTROLS)) {
        const reason = controlReason(controlOf(el), !!el.form && state.maskedForms.has(el.form));
        if (reason) addBlocked(el, reason, r.chain);
      }
    }
    state.dirty = false;
    state.everything = false;
    state.changedRoots.clear();
    state.changedUp.clear();
  };

  /**
   * Rescans when the DOM changed, a frame's document changed, or a custom element was defined
   * since the last scan (an upgraded element may attach a shadow root without any mutation).
   */
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
    if (!state.dirty) {
      for (const { root, n } of state.undefinedRoots) {
        if (root.querySelectorAll(":not(:defined)").length !== n) {
          state.dirty = true;
          state.everything = true;
          break;
        }
      }
    }
    if (state.dirty) scan();
  };

  const round = (v) => Math.round(v * 100) / 100;

  /**
   * The pinch-zoom of a phone page (`visualViewport`), or null at scale 1. Frames show the
   * visual viewport: a point of the layout viewport is at `(p - offset) * scale` in them, and
   * their scroll offset is the visual viewport's place in the page (Chromium's screencast
   * metadata), which the server gets times the scale. Reports and hit tests use the frames'
   * coordinates.
   */
  const zoom = () => {
    const v = window.visualViewport;
    return v && Math.abs(v.scale - 1) > 0.001 ? v : null;
  };

  /** Per measurement: memoized fixed/sticky ancestry and frame offsets. */
  const measurer = () => {
    const fixedMemo = new Map();
    const isFixed = (el) => {
      const seen = [];
      let result = false;
      for (let n = el; n; n = upElement(n)) {
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
      /** @type {{x: number, y: number, clip: number[] | null} | null} */
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
    const zoomed = zoom();
    /**
     * `[x, y, w, h, fixed]` in top-level viewport pixels, or null when not on screen; a report
     * appends the kind or reason.
     * @returns {(number | string)[] | null}
     */
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
      if (zoomed) {
        x0 = (x0 - zoomed.offsetLeft) * zoomed.scale;
        y0 = (y0 - zoomed.offsetTop) * zoomed.scale;
        x1 = (x1 - zoomed.offsetLeft) * zoomed.scale;
        y1 = (y1 - zoomed.offsetTop) * zoomed.scale;
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
  /** @type {string | null} */
  let lastKey = null;
  let lastSent = -Infinity;
  let lastStep = -Infinity;
  let lastT = 0;
  const HEARTBEAT_MS = 750;

  // `ts` is the animation frame's start (the page's own clock); reports carry it as Unix
  // milliseconds, so the server can tell which report belongs to which screencast frame.
  const step = (ts) => {
    lastStep = performance.now();
    // What is measured is the layout now; times only grow, as the server pairs by them.
    const t = Math.max(lastT, performance.timeOrigin + (typeof ts === "number" ? ts : lastStep));
    lastT = t;
    ensureFresh();
    const { measure, vw, vh } = measurer();
    const masked = [];
    for (const m of state.masked) {
      const r = measure(m.el, m.chain);
      if (r) masked.push(r.concat([m.kind, m.label || ""]));
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
    const zoomed = zoom();
    const sx = round(zoomed ? zoomed.pageLeft * zoomed.scale : window.scrollX);
    const sy = round(zoomed ? zoomed.pageTop * zoomed.scale : window.scrollY);
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

  /**
   * How long the measuring goes on after something may have moved: three animation frames,
   * enough for the frames that show the change. What moves later without telling (a script's
   * canvas, a video) makes the server ask; a longer time costs every session on the machine
   * (the bench's capacity ramp: 200 ms cost about 0.4 % of a core per clicking session).
   */
  const ACTIVE_MS = 50;
  /** How long it goes on when the server asks (it asks again while frames keep coming). */
  const ASKED_MS = 100;
  let activeUntil = 0;
  let scheduled = false;

  /** Whether an animation runs in the page or a readable frame (it may move anything). */
  const animating = () => {
    const docs = [document];
    for (const f of state.frames) if (f.doc) docs.push(f.doc);
    return docs.some((d) => d.getAnimations && d.getAnimations().some((a) => a.playState === "running"));
  };

  const tick = (ts) => {
    scheduled = false;
    try {
      step(ts);
    } catch (_) {
      // No report: the server's map goes stale and it fails closed.
    }
    let moving = false;
    try {
      moving = performance.now() < activeUntil || animating();
    } catch (_) {
      moving = true;
    }
    if (moving) {
      scheduled = true;
      requestAnimationFrame(tick);
    }
  };

  /** Measures on the next animation frame. */
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(tick);
    }
  };

  /** Something may move: measure on every animation frame for a while. */
  function wake() {
    activeUntil = performance.now() + ACTIVE_MS;
    schedule();
  }

  /** The server saw a frame the guard has not spoken for: measure on animation frames. */
  globalThis.__besideWake = () => {
    activeUntil = Math.max(activeUntil, performance.now() + ASKED_MS);
    schedule();
    return true;
  };

  const WAKE_EVENTS = [
    "scroll", "resize", "load", "transitionstart", "transitionrun", "animationstart", "toggle",
    "fullscreenchange",
  ];
  const listenedWindows = new WeakSet();
  /** Wakes on the events that may move things, in a window (the top one, same-origin frames'). */
  const listen = (win) => {
    if (!win || listenedWindows.has(win)) return;
    listenedWindows.add(win);
    for (const type of WAKE_EVENTS) {
      win.addEventListener(type, wake, { capture: true, passive: true });
    }
    try {
      win.document.fonts.addEventListener("loadingdone", wake);
    } catch (_) {
      // No font loading API: fonts are rare movers.
    }
  };
  listen(window);
  // A pinch or a pan of a zoomed page moves the visual viewport alone.
  window.visualViewport?.addEventListener("resize", wake, { passive: true });
  window.visualViewport?.addEventListener("scroll", wake, { passive: true });
  wake();
  // No heartbeat: on a still page there is nothing to say, and a frame the guard has not
  // spoken for makes the server ask (a heartbeat every second cost 0.3 % of a core per tab).

  // ---- Questions from the server. ----

  const isFrame = (el) => el.matches(FRAMES);

  const blockedAt = (el) => {
    for (let a = el; a; a = upElement(a)) {
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
    for (let a = el; a; a = upElement(a)) {
      if (state.maskedMap.has(a)) return true;
    }
    return false;
  };

  /** The innermost element at a point of `root`, looking into open shadow roots. */
  const deepElementAt = (root, x, y) => {
    let el = root.elementFromPoint(x, y);
    for (let depth = 0; el && el.shadowRoot && depth < MAX_SHADOW_DEPTH; depth += 1) {
      const inner = el.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  };

  /** The focused element of `root`, looking into open shadow roots. */
  const deepActive = (root) => {
    let el = root.activeElement;
    for (let depth = 0; el && el.shadowRoot && depth < MAX_SHADOW_DEPTH; depth += 1) {
      const inner = el.shadowRoot.activeElement;
      if (!inner) break;
      el = inner;
    }
    return el;
  };

  /** A point of a frame as a point of the layout viewport (they differ on a zoomed page). */
  const unzoom = (x, y) => {
    const zoomed = zoom();
    if (!zoomed) return [x, y];
    return [x / zoomed.scale + zoomed.offsetLeft, y / zoomed.scale + zoomed.offsetTop];
  };

  globalThis.__besideHitTest = (fx, fy) => {
    const [x, y] = unzoom(fx, fy);
    ensureFresh();
    let doc = document;
    let ox = 0;
    let oy = 0;
    let masked = false;
    let outerBlocked = null;
    for (let depth = 0; depth < 10; depth += 1) {
      const el = deepElementAt(doc, x - ox, y - oy);
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

  /** Whether text selected in a readable document touches something masked (copy would leak). */
  const selectionMasked = () => {
    const docs = [document];
    for (const f of state.frames) if (f.doc) docs.push(f.doc);
    for (const doc of docs) {
      const sel = doc.getSelection ? doc.getSelection() : null;
      if (!sel || sel.isCollapsed || sel.rangeCount === 0) continue;
      for (let i = 0; i < sel.rangeCount; i += 1) {
        const range = sel.getRangeAt(i);
        for (const m of state.masked) {
          if (m.el.ownerDocument !== doc) continue;
          // An element inside a shadow tree is "in" the range when its host is.
          let node = m.el;
          while (node.getRootNode() !== doc && node.getRootNode().host) node = node.getRootNode().host;
          if (range.intersectsNode(node)) return true;
        }
      }
    }
    return false;
  };

  /**
   * `text` with the current values of masked fields replaced by "•••" (for the page title the
   * agent sees). Values under 4 characters are left: they would blank out ordinary words.
   */
  globalThis.__besideRedact = (text) => {
    let out = String(text);
    try {
      ensureFresh();
      for (const m of state.masked) {
        const el = m.el;
        const raw = "value" in el && typeof el.value === "string" ? el.value : el.textContent;
        const value = String(raw || "").trim();
        if (value.length < 4 || value.length > 512) continue;
        out = out.split(value).join("•••");
      }
    } catch (_) {
      return "•••";
    }
    return out;
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
    const selection_masked = selectionMasked();
    let el = deepActive(document);
    let masked = false;
    for (let depth = 0; depth < 10 && el && isFrame(el); depth += 1) {
      masked = masked || maskedAt(el);
      const inner = contentDoc(el);
      if (!inner) {
        return JSON.stringify({
          masked: true, blocked: blockedAt(el), form_blocked: null, selection_masked,
        });
      }
      el = deepActive(inner);
    }
    if (!el) return JSON.stringify({ masked, blocked: null, form_blocked: null, selection_masked });
    const form = el.form || el.closest("form");
    return JSON.stringify({
      masked: masked || maskedAt(el),
      blocked: blockedAt(el),
      form_blocked: form ? formBlocked(form) : null,
      selection_masked,
    });
  };

  /**
   * The focused element in the innermost readable frame, and that frame's document.
   * @returns {{doc: null, el: any, opaque: true} | {doc: Document, el: any, opaque: false}}
   */
  const focusedDeep = () => {
    let doc = document;
    let el = deepActive(document);
    for (let depth = 0; depth < 10 && el && isFrame(el); depth += 1) {
      const inner = contentDoc(el);
      if (!inner) return { doc: null, el, opaque: true };
      doc = inner;
      el = deepActive(inner);
    }
    return { doc, el, opaque: false };
  };

  const MAX_SELECTION = 100000;

  /** What a copy takes now, and whether it is (or touches) something masked. */
  globalThis.__besideSelection = () => {
    ensureFresh();
    const { doc, el, opaque } = focusedDeep();
    if (opaque) return JSON.stringify({ text: "", masked: true });
    let text = "";
    const isField = el && (el.localName === "input" || el.localName === "textarea");
    if (isField) {
      // Browsers never copy out of password fields.
      const type = asciiLower(attr(el, "type") || "");
      if (type !== "password" && typeof el.selectionStart === "number") {
        text = el.value.slice(el.selectionStart, el.selectionEnd);
      }
    } else {
      const sel = doc.getSelection ? doc.getSelection() : null;
      text = sel ? sel.toString() : "";
    }
    const masked = (!!el && maskedAt(el)) || selectionMasked();
    return JSON.stringify({ text: text.slice(0, MAX_SELECTION), masked });
  };

  /** Deletes the selection where a cut would (the focused field, or an editable region). */
  globalThis.__besideDeleteSelection = () => {
    const { doc } = focusedDeep();
    if (doc) doc.execCommand("delete");
    return true;
  };

  /** Whether `el` is hidden from the agent now (for the pickers of `widgets.js`). */
  globalThis.__besideIsMasked = (el) => {
    ensureFresh();
    return maskedAt(el);
  };

  /** Attributes a proposed selector may use (`policy::selector`): names, labels, data. */
  const describedAttr = (name) =>
    name === "name" || name === "aria-label" || name === "aria-labelledby" || name.startsWith("data-");

  /** One element for `policy::selector::Element`, and its rectangle in the viewport. */
  const describe = (el) => {
    const parent = el.parentElement;
    const same = parent ? Array.from(parent.children).filter((c) => c.localName === el.localName) : [el];
    const attrs = [];
    for (const a of Array.from(el.attributes)) {
      if (describedAttr(a.name) && attrs.length < 12) attrs.push([a.name, a.value.slice(0, 200)]);
    }
    const r = el.getBoundingClientRect();
    return {
      tag: el.localName,
      id: el.id || null,
      attrs,
      classes: Array.from(el.classList).slice(0, 8),
      nth: same.indexOf(el) + 1,
      n_same: same.length,
      rect: { x: r.left, y: r.top, width: r.width, height: r.height },
    };
  };

  /**
   * For point-and-click rules: the element of the top document at a viewport point and its
   * ancestors (nearest first, at most 8), described. An element in a frame is its frame's.
   */
  globalThis.__besideInspect = (fx, fy) => {
    const [x, y] = unzoom(fx, fy);
    let el = document.elementFromPoint(x, y);
    const chain = [];
    while (el && chain.length < 9) {
      chain.push(describe(el));
      if (el.localName === "body") break;
      el = el.parentElement;
    }
    return JSON.stringify(chain);
  };

  /** How many elements of the top document `selector` finds, and where the first 50 are. */
  globalThis.__besideCount = (selector) => {
    let found;
    try {
      found = document.querySelectorAll(selector);
    } catch {
      return JSON.stringify({ count: -1, rects: [] });
    }
    const rects = Array.from(found).slice(0, 50).map((el) => describe(el).rect);
    return JSON.stringify({ count: found.length, rects });
  };

  /** The rules alone, for tests that compare them with `policy`. */
  globalThis.__besideGuardRules = { normalize, classifyField, classifyControl, pageMatches };

  // The title script may have looked before the guard could take masked values out of the
  // title (a window a page opened, taken over once loaded): it looks again now.
  globalThis.__besideTitleCheck?.();
})();
