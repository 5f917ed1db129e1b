// beside's bridge for the page's native widgets. Chromium draws a select list's popup, a date,
// time or colour chooser and a datalist's suggestions outside the page, so they are never in a
// screencast frame: the person who opened one would see nothing. This script stops the native
// popup from opening and reports the widget instead (`__besidePicker`), so the session shows a
// `picker` in the view of the person who opened it; their choice comes back through
// `__besideChoose` and is applied in the page as the native popup would (value, `input` and
// `change` events).
//
// It runs in the isolated world `beside` of the top frame, next to the guard, whose
// `__besideIsMasked` says whether a field is hidden from the agent (a picker for such a field is
// the customer's only). One picker is open at a time. Every entry point catches what it can: it
// must never break the page.
(() => {
  "use strict";
  if (globalThis.__besideWidgetsInstalled) return;
  try {
    if (window.top !== window) return;
  } catch (_) {
    return;
  }
  const report = globalThis.__besidePicker;
  if (typeof report !== "function") return;
  globalThis.__besideWidgetsInstalled = true;

  const CHOOSERS = new Set(["date", "time", "month", "week", "datetime-local", "color"]);
  const MAX_OPTIONS = 500;
  const MAX_TEXT = 200;
  const cut = (s) => String(s == null ? "" : s).slice(0, MAX_TEXT);

  // Ids are unique across the documents of a tab: each document starts somewhere else.
  const seed = new Uint32Array(1);
  crypto.getRandomValues(seed);
  let nextId = (seed[0] % 1000000000) * 1000;
  /** The open picker: {id, el, kind, values (select: the options' values at opening)}. */
  let open = null;
  let watchTimer = 0;

  /** What kind of picker `el` opens, or null. */
  const kindOf = (el) => {
    if (!el || el.nodeType !== 1) return null;
    if (el.localName === "select") return "select";
    if (el.localName !== "input") return null;
    const type = String(el.type || "").toLowerCase();
    if (CHOOSERS.has(type)) return type;
    const list = el.list;
    if (list && list.localName === "datalist") return "datalist";
    return null;
  };

  /** The element an event is about, looking through open shadow roots. */
  const targetOf = (e) => {
    const path = typeof e.composedPath === "function" ? e.composedPath() : [];
    for (const node of path) {
      if (kindOf(node)) return node;
    }
    return kindOf(e.target) ? e.target : null;
  };

  const usable = (el) => !el.disabled && !(el.readOnly && el.localName === "input");

  const masked = (el) => {
    try {
      const check = globalThis.__besideIsMasked;
      // No guard to ask: treat it as masked (fail closed).
      return typeof check === "function" ? !!check(el) : true;
    } catch (_) {
      return true;
    }
  };

  const rectOf = (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  };

  /** A select's options, in order, with their group's label. */
  const selectOptions = (el) => {
    const out = [];
    for (const option of Array.from(el.options).slice(0, MAX_OPTIONS)) {
      const parent = option.parentElement;
      const group = parent && parent.localName === "optgroup" ? parent : null;
      out.push({
        label: cut(option.label || option.text),
        value: cut(option.value),
        group: group ? cut(group.label) : null,
        disabled: !!(option.disabled || (group && group.disabled)),
        selected: !!option.selected,
      });
    }
    return out;
  };

  /** A datalist's suggestions for what the field holds now. */
  const datalistOptions = (el) => {
    const typed = String(el.value || "").toLowerCase();
    const out = [];
    for (const option of Array.from(el.list.options)) {
      if (option.disabled) continue;
      const value = String(option.value);
      const label = option.label && option.label !== value ? option.label : "";
      if (typed && !value.toLowerCase().includes(typed) && !label.toLowerCase().includes(typed)) {
        continue;
      }
      out.push({ label: cut(label || value), value: cut(value), group: null, disabled: false, selected: false });
      if (out.length >= MAX_OPTIONS) break;
    }
    return out;
  };

  const send = (payload) => {
    try {
      report(JSON.stringify(payload));
    } catch (_) {
      // The binding is gone (the page is closing).
    }
  };

  const close = () => {
    if (!open) return;
    send({ op: "close", id: open.id });
    open = null;
    clearInterval(watchTimer);
  };

  /** Reports `el`'s picker (replacing any open one); false when there is nothing to pick. */
  const openFor = (el, kind) => {
    if (!usable(el)) return false;
    const options = kind === "select" ? selectOptions(el) : kind === "datalist" ? datalistOptions(el) : [];
    if (kind === "datalist" && options.length === 0) {
      if (open && open.el === el) close();
      return false;
    }
    if (open && open.el !== el) close();
    const id = open && open.el === el ? open.id : (nextId += 1);
    const min = kind === "select" ? null : cut(el.min || "") || null;
    const max = kind === "select" ? null : cut(el.max || "") || null;
    open = { id, el, kind, values: options.map((o) => o.value) };
    send({
      op: "open",
      id,
      kind,
      multiple: kind === "select" && !!el.multiple,
      options,
      value: kind === "select" ? null : cut(el.value),
      min,
      max,
      rect: rectOf(el),
      masked: masked(el),
    });
    clearInterval(watchTimer);
    // A picker whose field went away (removed, hidden, disabled) closes.
    watchTimer = setInterval(() => {
      if (open && (!open.el.isConnected || !usable(open.el) || open.el.getClientRects().length === 0)) close();
    }, 250);
    return true;
  };

  const fire = (el) => {
    el.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  };

  // A press on a select list would open its popup; a click on a date, time or colour field
  // opens its chooser; the keys that open them from the keyboard. Captured before the page's
  // own listeners, so the page cannot open the native popup by accident either.
  window.addEventListener("mousedown", (e) => {
    try {
      if (e.button !== 0) return;
      const el = targetOf(e);
      if (!el || kindOf(el) !== "select") return;
      if (!usable(el)) return;
      e.preventDefault();
      el.focus({ preventScroll: true });
      if (open && open.el === el) close();
      else openFor(el, "select");
    } catch (_) {
      // Never break the page.
    }
  }, true);

  window.addEventListener("click", (e) => {
    try {
      const el = targetOf(e);
      const kind = el && kindOf(el);
      if (kind === "datalist") {
        openFor(el, kind);
      } else if (kind && kind !== "select" && usable(el)) {
        e.preventDefault();
        openFor(el, kind);
      }
    } catch (_) {
      // Never break the page.
    }
  }, true);

  window.addEventListener("keydown", (e) => {
    try {
      const el = targetOf(e);
      const kind = el && kindOf(el);
      if (!kind || kind === "datalist") return;
      const opens =
        (e.key === "ArrowDown" && e.altKey) || e.key === "F4" ||
        (kind === "select" && (e.key === " " || e.key === "Enter") && !el.multiple) ||
        (kind === "color" && (e.key === " " || e.key === "Enter"));
      if (opens && usable(el)) {
        e.preventDefault();
        openFor(el, kind);
      } else if (e.key === "Escape" && open && open.el === el) {
        close();
      }
    } catch (_) {
      // Never break the page.
    }
  }, true);

  // A datalist's suggestions follow what is typed.
  window.addEventListener("input", (e) => {
    try {
      const el = targetOf(e);
      if (el && kindOf(el) === "datalist" && e.isTrusted) openFor(el, "datalist");
    } catch (_) {
      // Never break the page.
    }
  }, true);

  window.addEventListener("pagehide", () => close());

  /**
   * Applies a choice to the open picker `id`: `choice.indices` (select: the options to select;
   * datalist: the one suggestion) or `choice.value` (date, time, month, week, colour). `agent`:
   * the chooser is an agent, who may not change a masked field. Answers "ok" or a refusal code.
   */
  globalThis.__besideChoose = (id, choice, agent) => {
    if (!open || open.id !== id) return "unknown_picker";
    const { el, kind, values } = open;
    if (!el.isConnected || !usable(el)) {
      close();
      return "unknown_picker";
    }
    if (agent && masked(el)) return "masked_field";
    if (kind === "select" || kind === "datalist") {
      const indices = Array.isArray(choice.indices) ? choice.indices : [];
      const multiple = kind === "select" && el.multiple;
      if (!multiple && indices.length !== 1) return "invalid_input";
      const current = kind === "select" ? selectOptions(el) : datalistOptions(el);
      for (const i of indices) {
        if (!Number.isInteger(i) || i < 0 || i >= values.length) return "picker_option_gone";
        // The option must still be there, as it was when the picker opened.
        const now = kind === "select" ? current[i] : current.find((o) => o.value === values[i]);
        if (!now || now.value !== values[i] || now.disabled) return "picker_option_gone";
      }
      if (kind === "datalist") {
        el.value = values[indices[0]];
      } else if (multiple) {
        Array.from(el.options).forEach((option, i) => { option.selected = indices.includes(i); });
      } else {
        el.selectedIndex = indices[0];
      }
      fire(el);
      close();
      return "ok";
    }
    const value = typeof choice.value === "string" ? choice.value : null;
    if (value === null || value.length > MAX_TEXT) return "invalid_input";
    const before = el.value;
    el.value = value;
    // The browser empties a value its field cannot hold.
    if (value !== "" && el.value === "") {
      el.value = before;
      return "invalid_value";
    }
    if (el.value !== before) fire(el);
    close();
    return "ok";
  };

  /** The person closed picker `id` without choosing. */
  globalThis.__besideDismiss = (id) => {
    if (open && open.id === id) close();
    return "ok";
  };
})();
