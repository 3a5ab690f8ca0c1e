// The build writes one package per browser, each with the manifest that browser wants.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { build } from "../build.mjs";

test("build writes a Chrome and a Firefox package whose zips list every source file", (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), "revlab-build-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const [chrome, firefox] = build(out);
  const cm = JSON.parse(readFileSync(path.join(chrome.dir, "manifest.json"), "utf-8"));
  const fm = JSON.parse(readFileSync(path.join(firefox.dir, "manifest.json"), "utf-8"));
  assert.deepEqual(cm.background, { service_worker: "background.js", type: "module" });
  assert.equal(cm.browser_specific_settings, undefined);
  assert.ok(!cm.permissions.includes("webRequestBlocking"));
  assert.deepEqual(fm.background, { scripts: ["background.js"], type: "module" });
  assert.ok(fm.permissions.includes("webRequestBlocking"));
  assert.match(fm.browser_specific_settings.gecko.id, /@/);
  const py = `import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print("\\n".join(sorted(z.namelist())))`;
  for (const pkg of [chrome, firefox]) {
    let listing;
    try {
      listing = execFileSync("python3", ["-c", py, pkg.zip], { encoding: "utf-8" }).trim().split("\n");
    } catch (err) {
      t.skip(`python3 is needed to check the zip: ${err.message}`);
      return;
    }
    assert.equal(listing.length, pkg.files);
    for (const name of ["manifest.json", "background.js", "_locales/ja/messages.json", "popup/popup.html", "icons/icon-128.png"]) {
      assert.ok(listing.includes(name), `${name} in ${pkg.zip}`);
    }
  }
  // Reproducible: the same sources give the same bytes.
  const again = build(out);
  assert.equal(again[0].bytes, chrome.bytes);
});
