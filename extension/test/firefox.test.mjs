// The Firefox path: a recorded getSecurityInfo answer, hashed and matched locally.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dersFromSecurityInfo, hasSecurityInfo, SECURITY_INFO_OPTIONS, verdictFromSecurityInfo } from "../src/lib/firefox.js";
import { indexRegistry, sha256Hex } from "../src/lib/match.js";
import { fixtureJson, servedRegistry } from "./helpers.mjs";

const index = indexRegistry(servedRegistry());
const affected = fixtureJson("securityinfo-affected.json");
const clean = fixtureJson("securityinfo-clean.json");

test("getSecurityInfo is asked for the whole chain with the DER of every certificate", () => {
  assert.deepEqual({ ...SECURITY_INFO_OPTIONS }, { certificateChain: true, rawDER: true });
});

test("the DER of each certificate is taken from rawDER, leaf first, and hashes to Firefox's fingerprint", async () => {
  const ders = dersFromSecurityInfo(affected);
  assert.equal(ders.length, 2);
  for (const [i, d] of ders.entries()) {
    const hex = await sha256Hex(d);
    assert.equal(hex, affected.certificates[i].fingerprint.sha256.replaceAll(":", "").toLowerCase());
  }
});

test("the recorded affected chain is affected, naming the QuoVadis intermediate", async () => {
  const v = await verdictFromSecurityInfo(affected, index);
  assert.equal(v.verdict, "affected");
  assert.equal(v.source, "local");
  assert.equal(v.match.entry.ca_label, "QuoVadis (DigiCert group)");
  assert.equal(v.chain[1].subject, affected.certificates[1].subject);
});

test("the recorded clean chain is clean", async () => {
  const v = await verdictFromSecurityInfo(clean, index);
  assert.equal(v.verdict, "clean");
});

test("an insecure or certificate-less answer is unknown with the reason no_chain", async () => {
  for (const answer of [{ state: "insecure" }, { state: "secure", certificates: [] }, null]) {
    const v = await verdictFromSecurityInfo(answer, index);
    assert.equal(v.verdict, "unknown");
    assert.equal(v.unknown_reason, "no_chain");
  }
});

test("only a browser with webRequest.getSecurityInfo takes the Firefox path", () => {
  assert.equal(hasSecurityInfo({ webRequest: { getSecurityInfo() {} } }), true);
  assert.equal(hasSecurityInfo({ webRequest: {} }), false);
  assert.equal(hasSecurityInfo(undefined), false);
});
