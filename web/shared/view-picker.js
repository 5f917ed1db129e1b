// The picker layer of the live view: a native widget of the page (a select list, a datalist's
// suggestions, a date, time, month, week or colour chooser) that this person opened, which
// Chromium would draw outside the page and so never in the picture. It is shown next to the
// field it belongs to (as a sheet at the bottom on a narrow screen), keyboard first: the
// chosen option has the focus, arrows move it, Enter or Space chooses, Escape closes. Choices
// and dismissals go out as `picker_choose` and `picker_dismiss` messages.

import { pageToClient } from "./coords.js";
import { t } from "./i18n.js";

/** @typedef {import("./protocol.js").Picker} Picker */
/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */

/**
 * The picker's name for screen readers, by kind.
 * @param {import("./protocol.js").PickerKind} kind
 */
function pickerTitle(kind) {
  switch (kind) {
    case "select": return t("picker.title_select");
    case "datalist": return t("picker.title_datalist");
    case "date": return t("picker.title_date");
    case "time": return t("picker.title_time");
    case "month": return t("picker.title_month");
    case "week": return t("picker.title_week");
    case "datetime-local": return t("picker.title_datetime");
    case "color": return t("picker.title_color");
    default: return t("picker.title_select");
  }
}

/** Below this width (client pixels) the picker is a sheet at the bottom of the view. */
const SHEET_BELOW = 520;

export class PickerLayer {
  /**
   * @param {HTMLElement} host  the view element the layer is laid over
   * @param {() => {width: number, height: number} | null} pageSize  the page's size in CSS px
   * @param {(msg: ClientMessage) => void} emit
   */
  constructor(host, pageSize, emit) {
    this.host = host;
    this.pageSize = pageSize;
    this.emit = emit;
    this.layer = document.createElement("div");
    this.layer.className = "live-pickers";
    /** @type {{picker: Picker, el: HTMLElement} | null} */
    this.open = null;
  }

  /** @param {Picker} picker */
  show(picker) {
    this.remove();
    const el = document.createElement("div");
    el.className = "live-picker";
    el.dataset.testid = "picker";
    el.dataset.picker = String(picker.id);
    el.dataset.kind = picker.kind;
    el.setAttribute("role", "dialog");
    el.setAttribute("aria-label", pickerTitle(picker.kind));
    el.addEventListener("keydown", (e) => this.onKey(e));
    if (picker.kind === "select" || picker.kind === "datalist") this.buildOptions(el, picker);
    else this.buildValue(el, picker);
    this.layer.append(el);
    this.open = { picker, el };
    this.layout();
    const first = /** @type {HTMLElement | null} */ (
      el.querySelector('[aria-selected="true"]:not([disabled])') ||
      el.querySelector('[data-testid="picker-option"]:not([disabled]), input'));
    first?.focus({ preventScroll: false });
  }

  /**
   * @param {HTMLElement} el @param {Picker} picker
   */
  buildOptions(el, picker) {
    const list = document.createElement("div");
    list.className = "live-picker-list";
    list.setAttribute("role", "listbox");
    if (picker.multiple) list.setAttribute("aria-multiselectable", "true");
    /** @type {string | null} */
    let group = null;
    picker.options.forEach((option, index) => {
      if (option.group !== group) {
        group = option.group;
        if (group !== null) {
          const heading = document.createElement("div");
          heading.className = "live-picker-group";
          heading.setAttribute("role", "presentation");
          heading.textContent = group;
          list.append(heading);
        }
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "live-picker-option";
      button.dataset.testid = "picker-option";
      button.dataset.index = String(index);
      button.setAttribute("role", "option");
      button.setAttribute("aria-selected", String(option.selected));
      button.tabIndex = -1;
      button.disabled = option.disabled;
      button.textContent = option.label || "\u00a0";
      if (option.group !== null) button.classList.add("in-group");
      button.addEventListener("click", () => {
        if (picker.multiple) {
          button.setAttribute("aria-selected", String(button.getAttribute("aria-selected") !== "true"));
        } else {
          this.choose({ indices: [index] });
        }
      });
      list.append(button);
    });
    el.append(list);
    if (picker.multiple) {
      el.append(this.actions(() => this.choose({
        indices: [...el.querySelectorAll('[data-testid="picker-option"][aria-selected="true"]')]
          .map((b) => Number(/** @type {HTMLElement} */ (b).dataset.index)),
      })));
    } else {
      el.append(this.actions(null));
    }
  }

  /**
   * A date, time or colour field of this person's own browser, with the page field's value.
   * @param {HTMLElement} el @param {Picker} picker
   */
  buildValue(el, picker) {
    const input = document.createElement("input");
    input.type = picker.kind;
    input.className = "live-picker-input";
    input.dataset.testid = "picker-input";
    input.setAttribute("aria-label", pickerTitle(picker.kind));
    if (picker.min) input.min = picker.min;
    if (picker.max) input.max = picker.max;
    input.value = picker.value || "";
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.choose({ value: input.value });
      }
    });
    el.append(input, this.actions(() => this.choose({ value: input.value })));
  }

  /**
   * The picker's buttons: "Done" (when `done` is given) and "Cancel".
   * @param {(() => void) | null} done
   */
  actions(done) {
    const row = document.createElement("div");
    row.className = "live-picker-actions";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.dataset.testid = "picker-dismiss";
    cancel.textContent = t("picker.cancel");
    cancel.addEventListener("click", () => this.dismiss());
    row.append(cancel);
    if (done) {
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = "primary";
      ok.dataset.testid = "picker-done";
      ok.textContent = t("picker.done");
      ok.addEventListener("click", done);
      row.append(ok);
    }
    return row;
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    if (!this.open) return;
    if (e.key === "Escape") {
      e.preventDefault();
      this.dismiss();
      return;
    }
    const options = /** @type {HTMLButtonElement[]} */ (
      [...this.open.el.querySelectorAll('[data-testid="picker-option"]')].filter((b) => !(/** @type {HTMLButtonElement} */ (b)).disabled));
    if (!options.length) return;
    const at = options.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    /** @type {number | null} */
    let next = null;
    if (e.key === "ArrowDown") next = at < 0 ? 0 : Math.min(at + 1, options.length - 1);
    else if (e.key === "ArrowUp") next = at < 0 ? 0 : Math.max(at - 1, 0);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = options.length - 1;
    else if (e.key.length === 1 && /\S/.test(e.key)) {
      // Type-ahead: the next option starting with that letter.
      const letter = e.key.toLowerCase();
      for (let i = 1; i <= options.length; i += 1) {
        const candidate = options[(Math.max(at, 0) + i) % options.length];
        if ((candidate.textContent || "").trim().toLowerCase().startsWith(letter)) {
          next = options.indexOf(candidate);
          break;
        }
      }
    }
    if (next !== null) {
      e.preventDefault();
      options[next].focus();
    }
  }

  /** @param {{indices?: number[], value?: string}} choice */
  choose(choice) {
    if (!this.open) return;
    this.emit({ type: "picker_choose", picker: this.open.picker.id, ...choice });
  }

  dismiss() {
    if (!this.open) return;
    this.emit({ type: "picker_dismiss", picker: this.open.picker.id });
    this.remove();
  }

  /** The server says picker `id` closed. @param {number} id */
  closed(id) {
    if (this.open && this.open.picker.id === id) this.remove();
  }

  remove() {
    const hadFocus = this.open && this.open.el.contains(document.activeElement);
    this.open?.el.remove();
    this.open = null;
    if (hadFocus) this.host.dispatchEvent(new CustomEvent("picker-closed"));
  }

  /** Places the picker under (or over) its field, or as a sheet on a narrow view. */
  layout() {
    if (!this.open) return;
    const { el, picker } = this.open;
    const width = this.host.clientWidth;
    const height = this.host.clientHeight;
    const sheet = width < SHEET_BELOW;
    el.classList.toggle("sheet", sheet);
    if (sheet) {
      el.style.left = el.style.top = "";
      return;
    }
    const size = this.pageSize();
    const box = { left: 0, top: 0, width, height };
    const r = picker.rect;
    const a = size && pageToClient(box, size, r.x, r.y);
    const b = size && pageToClient(box, size, r.x + r.width, r.y + r.height);
    const left = a ? a.x : 0;
    const below = b ? b.y + 2 : 0;
    const own = el.getBoundingClientRect();
    const fitsBelow = below + own.height <= height;
    const top = fitsBelow || !a ? below : Math.max(0, a.y - own.height - 2);
    el.style.left = `${Math.max(0, Math.min(left, width - own.width))}px`;
    el.style.top = `${Math.max(0, Math.min(top, height - own.height))}px`;
    el.style.minWidth = a && b ? `${Math.max(b.x - a.x, 120)}px` : "";
  }
}
