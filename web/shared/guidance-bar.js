// The bar under the toolbar where people guide and the customer stays in charge: the
// annotation tools (both), the control toggle and the privacy pause (customer), the control
// state and asking for control (agent), and the cards over the view that go with them:
// approving a waiting agent (customer), waiting for approval and the paused view (agent).

import { t } from "./i18n.js";
import { colorOf } from "./view-annotations.js";

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").ParticipantInfo} ParticipantInfo */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {import("./protocol.js").AnnotationKind} AnnotationKind */
/** @typedef {import("./live-view.js").LiveView} LiveView */

const ICON = {
  pointer: '<path d="M5 3l14 8-6 1.5L10 19z"/>',
  pen: '<path d="M4 20l1-4L16 5l3 3L8 19z"/><path d="M14 7l3 3"/>',
  highlighter: '<path d="M9 15l-3 3h-3l3-3"/><path d="M9 15l8-8-3-3-8 8z"/><path d="M3 21h18" stroke-width="3" opacity="0.5"/>',
  rect: '<rect x="4" y="6" width="16" height="12" rx="1"/>',
  arrow: '<path d="M5 19L19 5"/><path d="M10 5h9v9"/>',
  laser: '<circle cx="12" cy="12" r="3" fill="currentColor"/><path d="M12 2v4M12 18v4M2 12h4M18 12h4"/>',
  undo: '<path d="M9 7L4 12l5 5"/><path d="M4 12h10a6 6 0 0 1 0 12"/>',
  clear: '<path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/>',
};

/** The tools, in the bar's order: [kind or "pointer", test id, label key]. */
const TOOLS = /** @type {const} */ ([
  ["pointer", "tool-pointer", "tools.pointer"],
  ["pen", "tool-pen", "tools.pen"],
  ["highlighter", "tool-highlighter", "tools.highlighter"],
  ["rect", "tool-rect", "tools.rect"],
  ["arrow", "tool-arrow", "tools.arrow"],
  ["laser", "tool-laser", "tools.laser"],
]);

/**
 * The agents who are in (admitted) and whether they all have control.
 * @param {ParticipantInfo[]} list
 */
export function controlSummary(list) {
  const agents = list.filter((p) => p.role === "agent" && !p.waiting);
  return {
    agents,
    granted: agents.length > 0 && agents.every((a) => a.control),
    requested: agents.filter((a) => a.control_requested),
  };
}

/**
 * @typedef {object} GuidanceElements
 * @property {HTMLElement} bar        the bar (`.guide-bar`)
 * @property {HTMLElement} cards      where cards over the view go
 */

export class GuidanceBar {
  /**
   * @param {GuidanceElements} el
   * @param {object} hooks
   * @param {Role} hooks.role
   * @param {LiveView} hooks.view
   * @param {(msg: ClientMessage) => boolean} hooks.send
   * @param {(permission: string) => boolean} [hooks.may]  whether this person's role has a
   *   permission (the server refuses the rest; this only hides what would be refused)
   */
  constructor(el, hooks) {
    this.el = el;
    this.role = hooks.role;
    this.view = hooks.view;
    this.send = hooks.send;
    this.may = hooks.may || (() => true);
    /** @type {ParticipantInfo[]} */
    this.list = [];
    /** @type {ParticipantInfo | null} */
    this.you = null;
    this.paused = false;
    /** @type {AnnotationKind | null} */
    this.tool = null;

    const tools = document.createElement("div");
    tools.className = "guide-tools";
    tools.setAttribute("role", "group");
    tools.dataset.i18nAriaLabel = "tools.label";
    tools.setAttribute("aria-label", t("tools.label"));
    /** @type {Map<string, HTMLButtonElement>} */
    this.toolButtons = new Map();
    for (const [kind, testid, label] of TOOLS) {
      const button = iconButton(kind, testid, label);
      button.setAttribute("aria-pressed", String(kind === "pointer"));
      button.addEventListener("click", () => this.setTool(kind === "pointer" ? null : kind));
      this.toolButtons.set(kind, button);
      tools.append(button);
    }
    const undo = iconButton("undo", "tool-undo", "tools.undo");
    undo.addEventListener("click", () => this.send({ type: "undo_annotation" }));
    const clear = iconButton("clear", "tool-clear", "tools.clear");
    clear.addEventListener("click", () => this.send({ type: "clear_annotations" }));
    tools.append(separator(), undo, clear);
    /** Undo and clear: drawing too. */
    this.editButtons = [undo, clear];
    this.swatch = document.createElement("span");
    this.swatch.className = "guide-swatch";
    this.swatch.setAttribute("aria-hidden", "true");
    tools.prepend(this.swatch);

    const standing = document.createElement("div");
    standing.className = "guide-standing";
    this.state = document.createElement("p");
    this.state.className = "guide-state";
    this.state.dataset.testid = "control-state";
    this.state.setAttribute("role", "status");
    this.state.setAttribute("aria-live", "polite");
    standing.append(this.state);
    if (this.role === "customer") {
      this.controlButton = textButton("control-toggle", "guide-control");
      this.controlButton.addEventListener("click", () => this.toggleControl());
      this.pauseButton = textButton("pause", "guide-pause");
      this.pauseButton.addEventListener("click", () => this.send({ type: "set_paused", paused: !this.paused }));
      standing.append(this.controlButton, this.pauseButton);
    } else {
      this.requestButton = textButton("request-control", "guide-request");
      this.requestButton.textContent = t("control.request");
      this.requestButton.addEventListener("click", () => {
        if (this.send({ type: "request_control" }) && this.requestButton) this.requestButton.disabled = true;
      });
      standing.append(this.requestButton);
    }
    /** The row of tools (the chat's button goes at its end). */
    this.tools = tools;
    this.el.bar.append(tools, standing);

    /** Agent: the view is paused. */
    this.pausedCard = card("paused-notice", "paused.title", "paused.text");
    /** Agent: waiting for the customer to let them in. */
    this.waitingCard = card("waiting-approval", "waiting.title", "waiting.text");
    /** Customer: agents asking to join. */
    this.approvals = document.createElement("div");
    this.approvals.className = "view-cards-list";
    this.el.cards.append(this.pausedCard, this.waitingCard, this.approvals);
    this.render();
  }

  /** @param {AnnotationKind | null} tool */
  setTool(tool) {
    this.tool = tool;
    this.view.setTool(tool);
    for (const [kind, button] of this.toolButtons) {
      button.setAttribute("aria-pressed", String(kind === (tool || "pointer")));
    }
  }

  toggleControl() {
    const { agents, granted } = controlSummary(this.list);
    for (const agent of agents) this.send({ type: "set_control", agent: agent.id, granted: !granted });
  }

  /** @param {ParticipantInfo[]} list @param {ParticipantInfo | null} you */
  update(list, you) {
    this.list = list;
    this.you = you ? list.find((p) => p.id === you.id) || you : null;
    if (this.you) this.view.setAuthor(this.you.id, this.you.color);
    this.render();
  }

  /** @param {boolean} paused */
  setPaused(paused) {
    this.paused = paused;
    this.render();
  }

  render() {
    const you = this.you;
    const waiting = Boolean(you && you.waiting);
    this.swatch.style.background = you ? colorOf(you.color) : "transparent";
    if (this.role === "customer") this.renderCustomer();
    else this.renderAgent(waiting);
    const mayDraw = this.may("annotate");
    for (const [kind, button] of this.toolButtons) {
      button.disabled = waiting || (this.role === "agent" && this.paused) || (!mayDraw && kind !== "pointer");
    }
    for (const button of this.editButtons) button.disabled = !mayDraw;
    if ((waiting || (this.role === "agent" && this.paused)) && this.tool) this.setTool(null);
  }

  renderCustomer() {
    const { agents, granted, requested } = controlSummary(this.list);
    const control = /** @type {HTMLButtonElement} */ (this.controlButton);
    const pause = /** @type {HTMLButtonElement} */ (this.pauseButton);
    control.hidden = agents.length === 0;
    control.dataset.granted = String(granted);
    control.setAttribute("aria-pressed", String(granted));
    control.textContent = granted ? t("control.revoke") : t("control.grant");
    control.classList.toggle("asking", requested.length > 0);
    pause.dataset.paused = String(this.paused);
    pause.setAttribute("aria-pressed", String(this.paused));
    pause.textContent = this.paused ? t("pause.resume") : t("pause.pause");
    pause.hidden = agents.length === 0 && !this.paused;
    this.state.textContent = agents.length === 0 ? ""
      : this.paused ? t("pause.customer_state")
      : requested.length > 0 ? t("control.asks", { name: requested[0].name })
      : granted ? t("control.state_agent_has") : t("control.state_you_have");
    this.renderApprovals();
  }

  /** @param {boolean} waiting */
  renderAgent(waiting) {
    const you = this.you;
    const request = /** @type {HTMLButtonElement} */ (this.requestButton);
    const has = Boolean(you && you.control);
    const asked = Boolean(you && you.control_requested);
    request.hidden = has || waiting || !this.may("control");
    request.disabled = asked || this.paused;
    request.textContent = asked ? t("control.requested") : t("control.request");
    this.state.dataset.granted = String(has);
    this.state.textContent = waiting ? ""
      : this.paused ? t("paused.state")
      : has ? t("control.state_you_have_agent") : t("control.state_view_only");
    this.waitingCard.hidden = !waiting;
    this.pausedCard.hidden = waiting || !this.paused;
    this.view.setHidden(waiting || this.paused);
  }

  renderApprovals() {
    const waiting = this.list.filter((p) => p.role === "agent" && p.waiting);
    const shown = new Set([...this.approvals.children].map((c) => /** @type {HTMLElement} */ (c).dataset.participant));
    if (waiting.length === shown.size && waiting.every((p) => shown.has(p.id))) return;
    this.approvals.replaceChildren(...waiting.map((p) => {
      const box = document.createElement("section");
      box.className = "view-card approval";
      box.dataset.testid = "approval";
      box.dataset.participant = p.id;
      box.setAttribute("role", "alertdialog");
      const title = document.createElement("h2");
      title.textContent = t("approval.title", { name: p.name });
      const text = document.createElement("p");
      text.textContent = t("approval.text", { name: p.name });
      const approve = document.createElement("button");
      approve.type = "button";
      approve.className = "button primary";
      approve.dataset.testid = "approve";
      approve.textContent = t("approval.approve");
      approve.addEventListener("click", () => this.send({ type: "admit", participant: p.id, approved: true }));
      const deny = document.createElement("button");
      deny.type = "button";
      deny.className = "button subtle";
      deny.dataset.testid = "deny";
      deny.textContent = t("approval.deny");
      deny.addEventListener("click", () => this.send({ type: "admit", participant: p.id, approved: false }));
      const actions = document.createElement("div");
      actions.className = "card-actions";
      actions.append(approve, deny);
      box.append(title, text, actions);
      return box;
    }));
    const first = this.approvals.querySelector("button");
    if (first instanceof HTMLElement) first.focus();
  }
}

/** @param {keyof typeof ICON} icon @param {string} testid @param {string} label */
function iconButton(icon, testid, label) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button guide-tool";
  button.dataset.testid = testid;
  button.dataset.i18nAriaLabel = label;
  button.dataset.i18nTitle = label;
  button.setAttribute("aria-label", t(label));
  button.title = t(label);
  button.innerHTML = `<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICON[icon]}</svg>`;
  return button;
}

/** @param {string} testid @param {string} className */
function textButton(testid, className) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `button subtle ${className}`;
  button.dataset.testid = testid;
  return button;
}

function separator() {
  const span = document.createElement("span");
  span.className = "guide-separator";
  span.setAttribute("aria-hidden", "true");
  return span;
}

/** @param {string} testid @param {string} titleKey @param {string} textKey */
function card(testid, titleKey, textKey) {
  const box = document.createElement("section");
  box.className = "view-card";
  box.dataset.testid = testid;
  box.setAttribute("role", "status");
  box.hidden = true;
  const title = document.createElement("h2");
  title.dataset.i18n = titleKey;
  title.textContent = t(titleKey);
  const text = document.createElement("p");
  text.dataset.i18n = textKey;
  text.textContent = t(textKey);
  box.append(title, text);
  return box;
}
