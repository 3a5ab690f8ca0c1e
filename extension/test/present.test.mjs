// What the user sees: badges, badge titles and the popup, in English and Japanese.
import { test } from "node:test";
import assert from "node:assert/strict";
import { badgeFor, commonName, formatFingerprint, popupView, statusText } from "../src/lib/present.js";
import { indexRegistry, registryEntries, verdictForDers } from "../src/lib/match.js";
import { der, fixtureJson, i18n, servedRegistry } from "./helpers.mjs";

const registry = servedRegistry();
const index = indexRegistry(registry);
const info = fixtureJson("securityinfo-affected.json");
const chain = info.certificates.map((c) => Uint8Array.from(c.rawDER));
const en = i18n("en").t;
const ja = i18n("ja").t;
const BACKEND = "http://127.0.0.1:8000";

const stateOf = async (ders) => ({ host: "affected.test", port: 443, verdict: await verdictForDers(ders, index) });

test("the badge is a red ! for affected, an amber ? for affected_key and responders, nothing otherwise", async () => {
  const affected = badgeFor(await stateOf(chain), en);
  assert.deepEqual([affected.text, affected.color], ["!", "#c5221f"]);
  const key = badgeFor(await stateOf([der("quovadis_reissue.der")]), en);
  const responder = badgeFor(await stateOf([der("responder_real.der")]), en);
  assert.equal(key.text, "?");
  assert.equal(responder.text, "?");
  assert.equal(key.color, responder.color);
  assert.notEqual(key.color, affected.color);
  const clean = badgeFor(await stateOf([der("clean_real.der")]), en);
  assert.equal(clean.text, "");
  assert.equal(badgeFor({ status: "not_checked" }, en).text, "");
  assert.equal(badgeFor({ verdict: { verdict: "unknown", unknown_reason: "not_known" } }, en).text, "");
});

test("the badge title says why in one line, naming the CA and the intermediate", async () => {
  const title = badgeFor(await stateOf(chain), en).title;
  assert.equal(title, "Affected: the QuoVadis (DigiCert group) intermediate QuoVadis Qualified Web ICA G1 on this site's chain must be revoked.");
  assert.ok(!title.includes("\n"));
  const titleJa = badgeFor(await stateOf(chain), ja).title;
  assert.match(titleJa, /QuoVadis Qualified Web ICA G1/);
  assert.match(titleJa, /失効対象/);
  assert.equal(badgeFor({ verdict: { verdict: "unknown", unknown_reason: "backend_unreachable" } }, en).title,
    "Not checked: the backend could not be reached.");
});

test("the popup names the intermediate, its fingerprint, its CA, the incident, its status and both remedies", async () => {
  const view = popupView({ state: await stateOf(chain), incidents: registry.incidents, backendUrl: BACKEND, mode: "local" }, en);
  const rows = Object.fromEntries(view.rows.map((r) => [r.label, r.value]));
  assert.equal(view.kind, "affected");
  assert.equal(rows.Site, "affected.test");
  assert.equal(rows.Intermediate, "QuoVadis Qualified Web ICA G1");
  assert.equal(rows["SHA-256 fingerprint"], formatFingerprint("04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f"));
  assert.equal(rows["Certificate authority"], "QuoVadis (DigiCert group)");
  assert.equal(rows.Incident, "Intermediates with the OCSPSigning EKU (dangerous delegated responders), July 2020");
  // The list gives no revocation date for this intermediate: the popup does not claim one.
  assert.equal(rows.Status, "revocation not confirmed: no published date for this certificate");
  assert.match(view.visitor, /Tell the site owner/);
  // This intermediate has a clean re-issue with the same key: swapping it is enough.
  assert.match(view.owner, /^Only swap the served intermediate/);
  assert.match(view.owner, /16:3C:D2:FC/);
  assert.equal(view.lesson.href, "http://127.0.0.1:8000/notebooks/02_ocsp_delegated_responder.ipynb");
  assert.equal(view.source, "Checked in your browser; nothing about this site was sent.");
});

test("without a re-issue, the owner must reissue the leaf", async () => {
  const noReissue = registryEntries(registry).find((e) => e.reissues.length === 0);
  const state = { host: "x.test", verdict: { verdict: "affected", match: { position: 1, entry: noReissue }, chain: [], source: "direct" } };
  const view = popupView({ state, incidents: registry.incidents, backendUrl: BACKEND }, en);
  assert.match(view.owner, /^Reissue the site's certificate/);
  assert.equal(view.source, "Checked by your backend: the site name was sent to it.");
});

test("the popup is in Japanese for a Japanese browser, with names and dates kept as they are", async () => {
  const view = popupView({ state: await stateOf(chain), incidents: registry.incidents, backendUrl: BACKEND }, ja);
  const rows = Object.fromEntries(view.rows.map((r) => [r.label, r.value]));
  assert.equal(view.headline, "このサイトの証明書チェーンは、失効対象の中間証明書を経由しています。");
  assert.equal(rows["中間証明書"], "QuoVadis Qualified Web ICA G1");
  assert.equal(rows["認証局"], "QuoVadis (DigiCert group)");
  assert.equal(rows["状態"], "失効は未確認（この証明書の失効日は公表されていません）");
  assert.match(rows["インシデント"], /2020年7月/);
  assert.match(view.owner, /差し替える/);
});

test("statuses read as 'will be revoked on', 'revoked since', 'distrusted since' and 'not confirmed'", () => {
  assert.equal(statusText({ status: "to_be_revoked", status_date: "2026-12-01" }, null, en), "will be revoked on 2026-12-01");
  assert.equal(statusText({ status: "revoked", status_date: "2020-07-08" }, null, en), "revoked since 2020-07-08");
  assert.equal(statusText({ status: "distrusted", status_date: "2021-01-01" }, null, en), "distrusted by browsers since 2021-01-01");
  assert.equal(statusText({ status: "revoked", status_date: null }, null, en), "revoked");
  assert.equal(statusText({ status: "unknown", status_date: null }, { deadline: "2020-07-08" }, en),
    "revocation not confirmed: no published date for this certificate");
  assert.equal(statusText({ status: "to_be_revoked", status_date: "2026-12-01" }, null, ja), "2026-12-01 に失効予定");
});

test("clean, not checked and unknown tabs get a calm explanation and no remedy", () => {
  const clean = popupView({ state: { host: "clean.test", verdict: { verdict: "clean", chain: [], source: "local" } } }, en);
  assert.equal(clean.headline, "No known problem: no certificate of this chain is on an affected list.");
  assert.equal(clean.owner, null);
  const notChecked = popupView({ state: { host: "clean.test", status: "not_checked" } }, en);
  assert.equal(notChecked.kind, "not_checked");
  assert.match(notChecked.visitor, /no site name leaves your browser/);
  const unknown = popupView({ state: { host: "x.test", verdict: { verdict: "unknown", unknown_reason: "not_known", source: "prefix" } } }, en);
  assert.deepEqual(unknown.rows.at(-1), { label: "Why", value: "the backend has no result for this site yet." });
  assert.match(unknown.source, /only 5 characters/);
});

test("common names are read from RFC 4514 names with escapes", () => {
  assert.equal(commonName("CN=Foo\\, Inc. CA,O=Foo"), "Foo, Inc. CA");
  assert.equal(commonName("O=No CN"), "O=No CN");
});

test("the popup says which mode is on and what the backend learns, in both languages", () => {
  const view = (mode, t) => popupView({ state: { host: "x.test", status: "not_checked" }, mode }, t).mode;
  assert.equal(view("prefix", en), "Mode: hash prefix. The backend learns 5 characters of a hash of each HTTPS site name, shared with many other sites; never the name.");
  assert.match(view("local", en), /learns nothing about the sites you visit/);
  assert.match(view("direct", en), /learns the name of every HTTPS site/);
  assert.match(view("off", en), /Nothing is checked/);
  assert.match(view("prefix", ja), /先頭 5 文字/);
  const off = popupView({ state: { host: "x.test", status: "off" }, mode: "off" }, en);
  assert.deepEqual([off.kind, off.headline], ["off", "Checks are off: this site was not checked."]);
});
