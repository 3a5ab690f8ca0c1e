// Every visible string is localised: both locales have the same keys, every key the code and
// the pages use exists, placeholders match, and the manifest is sound for Chrome and Firefox.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { SRC, messages } from "./helpers.mjs";

const en = messages("en");
const ja = messages("ja");
const manifest = JSON.parse(readFileSync(path.join(SRC, "manifest.json"), "utf-8"));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(path.join(dir, d.name)) : /\.(js|html)$/.test(d.name) ? [path.join(dir, d.name)] : [],
  );
}

test("English and Japanese have the same keys, the same placeholders, and no empty message", () => {
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  for (const [key, { message }] of Object.entries(en)) {
    assert.ok(message.trim(), `en ${key} is empty`);
    assert.ok(ja[key].message.trim(), `ja ${key} is empty`);
    const holes = (m) => [...m.matchAll(/\$[1-9]/g)].map((x) => x[0]).sort();
    assert.deepEqual(holes(ja[key].message), holes(message), `placeholders of ${key}`);
  }
});

test("every message key used by the scripts and pages exists", () => {
  const used = new Set();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf-8");
    for (const m of text.matchAll(/data-i18n(?:-title)?="([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bt\(\s*"([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/"(verdict[A-Z][A-Za-z]+|optRegistry[A-Za-z]+|source(?:Local|Prefix|Direct))"/g)) used.add(m[1]);
  }
  for (const m of JSON.stringify(manifest).matchAll(/__MSG_([A-Za-z0-9_]+)__/g)) used.add(m[1]);
  assert.ok(used.size > 50, `only ${used.size} keys found`);
  for (const key of used) assert.ok(en[key], `missing message ${key}`);
});

test("the Japanese messages are Japanese", () => {
  const skip = new Set(["extName"]);
  for (const [key, { message }] of Object.entries(ja)) {
    if (skip.has(key)) continue;
    assert.match(message, /[\u3040-\u30ff\u4e00-\u9fff]/, `ja ${key} has no Japanese text`);
  }
});

test("the manifest is MV3 with a module background for both browsers and Firefox's id", () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.default_locale, "en");
  assert.equal(manifest.background.service_worker, "background.js");
  assert.deepEqual(manifest.background.scripts, ["background.js"]);
  assert.equal(manifest.background.type, "module");
  assert.match(manifest.browser_specific_settings.gecko.id, /@/);
  for (const p of ["storage", "webNavigation", "webRequest"]) assert.ok(manifest.permissions.includes(p));
  for (const file of Object.values(manifest.icons)) readFileSync(path.join(SRC, file));
});
