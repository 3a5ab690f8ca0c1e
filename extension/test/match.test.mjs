// Local matching against the real registry JSON gives the verdicts sim.registry.match gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { certRecord, indexRegistry, matchChain, verdictForDers } from "../src/lib/match.js";
import { der, fixtureJson, servedRegistry } from "./helpers.mjs";

const registry = servedRegistry();
const index = indexRegistry(registry);
const info = fixtureJson("securityinfo-affected.json");
const [affectedLeaf, affectedIntermediate] = info.certificates.map((c) => Uint8Array.from(c.rawDER));
const QUOVADIS = "04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f";

test("the registry indexes all 293 listed fingerprints", () => {
  assert.equal(index.size, 293);
  assert.ok(index.incidents["ocsp-eku-2020"]);
});

test("a chain holding a real listed intermediate is affected, naming it, its CA and its re-issue", async () => {
  const v = await verdictForDers([affectedLeaf, affectedIntermediate], index);
  assert.equal(v.verdict, "affected");
  assert.equal(v.match.position, 1);
  assert.equal(v.match.entry.sha256, QUOVADIS);
  assert.equal(v.match.entry.ca_label, "QuoVadis (DigiCert group)");
  assert.match(v.chain[1].subject, /^CN=QuoVadis Qualified Web ICA G1,/);
  // The served entry's remedy is a code; the verdict carries the registry's words for it.
  assert.equal(v.match.entry.remedy, "swap_intermediate");
  assert.equal(v.remedy.owner, registry.remedies.swap_intermediate);
  assert.equal(v.match.entry.incident, "ocsp-eku-2020");
  assert.equal(v.chain.length, 2);
  assert.equal(v.chain[0].subject, "CN=affected.test");
});

test("the CA's real clean re-issue alone is affected_key, and known as the re-issue", async () => {
  const v = await verdictForDers([der("quovadis_reissue.der")], index);
  assert.equal(v.verdict, "affected_key");
  assert.equal(v.key_relation, "same_key");
  assert.equal(v.known_reissue, true);
  assert.equal(v.match.entry.sha256, QUOVADIS);
});

test("a leaf issued by a listed key, without the intermediate, is affected_key through its AKI", async () => {
  const v = await verdictForDers([affectedLeaf], index);
  assert.equal(v.verdict, "affected_key");
  assert.equal(v.key_relation, "issued_by_key");
  assert.equal(v.known_reissue, false);
  assert.equal(v.match.position, 0);
});

test("a real CA certificate with OCSPSigning that is not listed is a dangerous responder", async () => {
  const v = await verdictForDers([der("responder_real.der")], index);
  assert.equal(v.verdict, "dangerous_responder");
  assert.equal(v.responder_position, 0);
  assert.equal(v.match, null);
});

test("a real unlisted intermediate without OCSPSigning is clean", async () => {
  const v = await verdictForDers([der("clean_real.der")], index);
  assert.equal(v.verdict, "clean");
  assert.equal(v.match, null);
});

test("the exact listed certificate wins over a key match anywhere in the chain", async () => {
  const v = await verdictForDers([der("quovadis_reissue.der"), affectedIntermediate], index);
  assert.equal(v.verdict, "affected");
  assert.equal(v.match.position, 1);
});

test("an empty chain and an unreadable chain are unknown", async () => {
  assert.equal(matchChain([], index).verdict, "unknown");
  const broken = await certRecord(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]));
  const v = matchChain([broken], index);
  assert.equal(v.verdict, "unknown");
  assert.equal(v.chain[0].error !== null, true);
});

test("an empty registry finds nothing to warn about in a clean chain", async () => {
  const v = await verdictForDers([der("clean_real.der")], indexRegistry({ entries: [] }));
  assert.equal(v.verdict, "clean");
});
