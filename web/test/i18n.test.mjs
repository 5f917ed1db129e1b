// The translation catalogues: same keys everywhere, nothing empty, every key used exists.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { LANGUAGES, pickLanguage, setMessages, t } from "../shared/i18n.js";

const web = fileURLToPath(new URL("..", import.meta.url));
/** @type {Record<string, Record<string, string>>} */
const catalogues = Object.fromEntries(
  LANGUAGES.map((lang) => [lang, JSON.parse(readFileSync(join(web, "i18n", `${lang}.json`), "utf8"))]),
);

test("there is a catalogue file for every language and no other", () => {
  const files = readdirSync(join(web, "i18n")).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  assert.deepEqual(files, [...LANGUAGES].sort());
});

test("all catalogues have the same keys", () => {
  const english = Object.keys(catalogues.en).sort();
  for (const lang of LANGUAGES) assert.deepEqual(Object.keys(catalogues[lang]).sort(), english, lang);
});

test("no translation is empty and placeholders match English", () => {
  const placeholders = (/** @type {string} */ s) => (s.match(/\{\w+\}/g) || []).sort();
  for (const lang of LANGUAGES) {
    for (const [key, text] of Object.entries(catalogues[lang])) {
      assert.equal(typeof text, "string");
      assert.ok(text.trim().length > 0, `${lang}: ${key} is empty`);
      assert.deepEqual(placeholders(text), placeholders(catalogues.en[key]), `${lang}: ${key}`);
    }
  }
});

test("the catalogues are translations, not copies of English", () => {
  for (const lang of LANGUAGES.filter((l) => l !== "en")) {
    const same = Object.keys(catalogues.en).filter((k) => catalogues[lang][k] === catalogues.en[k]);
    assert.ok(same.length < Object.keys(catalogues.en).length / 10, `${lang} copies: ${same.join(", ")}`);
  }
});

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(join(web, dir))
    .filter((f) => f.endsWith(".js") || f.endsWith(".html"))
    .map((f) => readFileSync(join(web, dir, f), "utf8"));
}

test("every key used in the pages and scripts exists", () => {
  const used = new Set();
  for (const text of ["shared", "customer", "agent", "admin"].flatMap(sources)) {
    for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bt\(\s*"([^"]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\.dataset\.i18n\w*\s*=\s*"([^"]+)"/g)) used.add(m[1]);
  }
  assert.ok(used.size > 40, `found only ${used.size} keys`);
  const missing = [...used].filter((k) => !(k in catalogues.en));
  assert.deepEqual(missing, []);
});

test("language choice: ?lang= first, then the browser's list, else English", () => {
  assert.equal(pickLanguage("?lang=de", ["nl-NL"]), "de");
  assert.equal(pickLanguage("?lang=xx", ["pt-BR", "en"]), "pt");
  assert.equal(pickLanguage("", ["fr-FR", "es-419"]), "es");
  assert.equal(pickLanguage("", ["fr"]), "en");
  assert.equal(pickLanguage("", []), "en");
});

test("t fills placeholders and falls back to the key", () => {
  setMessages("en", catalogues.en);
  assert.equal(t("cursor.label", { name: "Ada", role: "Agent" }), "Ada (Agent)");
  assert.equal(t("no.such.key"), "no.such.key");
});
