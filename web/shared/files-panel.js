// The customer's files: the page's file chooser (`file-chooser`: the customer picks files on
// their own device and they go to the page) and the files the page downloaded (`download`: a
// link each, good once). Agents never get either; they read in the chat that a file went in
// or out.

import { t } from "./i18n.js";

/** @typedef {import("./protocol.js").DownloadOffer} DownloadOffer */

/** Turns a byte count into a short size ("12 KB"). @param {number} bytes */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The translation key of an upload's error code. @param {string} code */
export function uploadErrorKey(code) {
  switch (code) {
    case "file_too_large": return "files.too_large";
    case "unknown_file_chooser": return "files.chooser_gone";
    default: return "files.upload_failed";
  }
}

export class FilesPanel {
  /**
   * @param {HTMLElement} cards  where cards over the view go
   * @param {{sessionId: string, token: string}} session
   */
  constructor(cards, session) {
    this.session = session;
    /** @type {number | null} */
    this.chooserId = null;

    this.chooser = document.createElement("section");
    this.chooser.className = "view-card files-card";
    this.chooser.setAttribute("role", "dialog");
    this.chooser.setAttribute("aria-labelledby", "file-chooser-title");
    this.chooser.hidden = true;
    const title = heading("file-chooser-title", "files.chooser_title");
    const hint = text("files.chooser_hint");
    this.input = document.createElement("input");
    this.input.type = "file";
    this.input.dataset.testid = "file-chooser";
    this.input.setAttribute("aria-labelledby", "file-chooser-title");
    this.status = document.createElement("p");
    this.status.className = "files-status";
    this.status.setAttribute("role", "alert");
    this.status.hidden = true;
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button";
    cancel.dataset.testid = "file-chooser-cancel";
    cancel.dataset.i18n = "files.cancel";
    cancel.textContent = t("files.cancel");
    cancel.addEventListener("click", () => this.close());
    this.chooser.append(title, hint, this.input, this.status, cancel);
    this.input.addEventListener("change", () => this.send());

    this.downloads = document.createElement("section");
    this.downloads.className = "view-card files-card";
    this.downloads.setAttribute("aria-labelledby", "downloads-title");
    this.downloads.hidden = true;
    this.list = document.createElement("ul");
    this.list.className = "downloads";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.dataset.i18n = "files.close";
    close.textContent = t("files.close");
    close.addEventListener("click", () => {
      this.list.replaceChildren();
      this.downloads.hidden = true;
    });
    this.downloads.append(heading("downloads-title", "files.downloads_title"), text("files.downloads_hint"), this.list, close);
    cards.append(this.chooser, this.downloads);
  }

  /** The page asks for files. @param {number} id @param {boolean} multiple */
  open(id, multiple) {
    this.chooserId = id;
    this.input.value = "";
    this.input.multiple = multiple;
    this.input.disabled = false;
    this.status.hidden = true;
    this.chooser.hidden = false;
    this.input.focus();
  }

  /** The chooser was answered or went away. @param {number} [id] any when absent */
  closed(id) {
    if (id === undefined || id === this.chooserId) this.close();
  }

  close() {
    this.chooserId = null;
    this.chooser.hidden = true;
  }

  /** Sends the chosen files to the page. */
  async send() {
    const id = this.chooserId;
    const files = this.input.files;
    if (id === null || !files || files.length === 0) return;
    const form = new FormData();
    for (const file of files) form.append("file", file, file.name);
    this.input.disabled = true;
    this.showStatus("files.sending");
    let code = "";
    try {
      const res = await fetch(`/api/v1/sessions/${encodeURIComponent(this.session.sessionId)}/files?chooser=${id}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.session.token}` },
        body: form,
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        code = body && typeof body.error === "string" ? body.error : `http_${res.status}`;
      }
    } catch {
      code = "network";
    }
    if (!code) {
      if (this.chooserId === id) this.close();
      return;
    }
    this.input.disabled = false;
    this.input.value = "";
    this.showStatus(uploadErrorKey(code));
    if (code === "unknown_file_chooser") this.chooserId = null;
  }

  /** @param {string} key */
  showStatus(key) {
    this.status.textContent = t(key);
    this.status.dataset.i18n = key;
    this.status.hidden = false;
  }

  /** A file the page downloaded. @param {DownloadOffer} offer */
  offer(offer) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.dataset.testid = "download";
    link.href = `/api/v1/sessions/${encodeURIComponent(this.session.sessionId)}/download?token=${encodeURIComponent(offer.token)}`;
    link.download = offer.name;
    link.textContent = `${offer.name} (${formatSize(offer.size)})`;
    // A link is good once: after it was used it goes.
    link.addEventListener("click", () => setTimeout(() => this.remove(item), 0));
    item.append(link);
    this.list.append(item);
    this.downloads.hidden = false;
    const left = offer.expires_at_ms - Date.now();
    setTimeout(() => this.remove(item), Math.max(0, left));
  }

  /** @param {HTMLElement} item */
  remove(item) {
    item.remove();
    if (this.list.childElementCount === 0) this.downloads.hidden = true;
  }
}

/** @param {string} id @param {string} key */
function heading(id, key) {
  const h = document.createElement("h2");
  h.id = id;
  h.dataset.i18n = key;
  h.textContent = t(key);
  return h;
}

/** @param {string} key */
function text(key) {
  const p = document.createElement("p");
  p.dataset.i18n = key;
  p.textContent = t(key);
  return p;
}
