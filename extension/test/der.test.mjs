// The JS certificate reader agrees with sim.loader (Python, cryptography) on real certificates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DerError, fromBase64, parseCertificate } from "../src/lib/der.js";
import { certRecord } from "../src/lib/match.js";
import { REPO, der, fixtureJson, pemBundle } from "./helpers.mjs";

const pem = readFileSync(path.join(REPO, "sim/data/incident-2020/affected_intermediates.pem"), "utf-8");
const expected = fixtureJson("expected_records.json");

test("all 260 real 2020 intermediates hash and parse exactly as sim.loader reads them", async () => {
  const ders = pemBundle(pem);
  assert.equal(ders.length, 260);
  const bySha = new Map(expected.map((e) => [e.sha256, e]));
  let compared = 0;
  for (const d of ders) {
    const got = await certRecord(d);
    const want = bySha.get(got.sha256);
    if (!want) continue; // sim.loader refused it; the hash is still right (checked below)
    assert.equal(got.error, null, `${got.sha256}: ${got.error}`);
    assert.equal(got.spki_sha256, want.spki_sha256, `SPKI of ${want.subject}`);
    assert.equal(got.ski, want.ski, `SKI of ${want.subject}`);
    assert.equal(got.aki, want.aki, `AKI of ${want.subject}`);
    assert.equal(got.is_ca, want.is_ca, `cA of ${want.subject}`);
    assert.deepEqual(got.ekus, want.ekus, `EKUs of ${want.subject}`);
    assert.equal(got.subject, want.subject);
    compared++;
  }
  assert.equal(compared, expected.length);
  assert.ok(compared >= 250, `only ${compared} compared`);
});

test("a real CCADB re-issue, responder and clean intermediate parse as sim.loader reads them", async () => {
  const misc = fixtureJson("expected_misc.json");
  for (const [name, file] of [["reissue", "quovadis_reissue.der"], ["responder", "responder_real.der"], ["clean", "clean_real.der"]]) {
    const got = await certRecord(der(file));
    const want = misc[name];
    for (const key of ["sha256", "spki_sha256", "ski", "aki", "is_ca", "subject", "issuer"]) {
      assert.deepEqual(got[key], want[key], `${name}.${key}`);
    }
    assert.deepEqual(got.ekus, want.ekus, `${name}.ekus`);
  }
});

test("a PEM body decodes to the same DER", () => {
  const first = pemBundle(pem)[0];
  const body = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)[0];
  assert.deepEqual(fromBase64(body), first);
});

test("bytes that are not a certificate are refused with DerError, and become an unreadable record", async () => {
  assert.throws(() => parseCertificate(new Uint8Array([0x30, 0x05, 0x02, 0x01])), DerError);
  assert.throws(() => parseCertificate(new Uint8Array([0x04, 0x00])), DerError);
  const truncated = der("clean_real.der").subarray(0, 200);
  const record = await certRecord(truncated);
  assert.match(record.error, /overruns|truncated|not a DER/);
  assert.equal(record.sha256.length, 64);
});
