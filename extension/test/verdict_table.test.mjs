// The shared verdict table, JavaScript half: match.js (local mode) and present.js (local, prefix
// and direct answers) agree with sim and the API on every case. The table is written by
// tools/make_verdict_table.py through the real sim and API; tests/extension/test_verdict_table.py
// checks the Python half against the same file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHostByPrefix, checkHostDirect } from "../src/lib/backend.js";
import { indexRegistry, verdictForDers } from "../src/lib/match.js";
import { badgeFor, commonName, formatFingerprint, popupView } from "../src/lib/present.js";
import { i18n, jsonResponse, verdictTable } from "./helpers.mjs";

const table = verdictTable();
const index = indexRegistry(table.registry);
const incidents = table.registry.incidents;
const LOCALES = { en: i18n("en").t, ja: i18n("ja").t };
const REMEDY_CODES = ["swap_intermediate", "reissue_leaf"];

const ders = (c) => c.chain.map((b64) => new Uint8Array(Buffer.from(b64, "base64")));
const answerOnce = (body) => async () => jsonResponse(200, body);

/** The verdict each mode reaches for a case: local matching, and the recorded API answers. */
async function verdicts(c) {
  const { host, port } = c.answers;
  const base = { backendUrl: "http://127.0.0.1:1", host, port };
  return {
    local: await verdictForDers(ders(c), index),
    direct: await checkHostDirect({ ...base, fetchFn: answerOnce(c.answers.direct) }),
    prefix: await checkHostByPrefix({ ...base, fetchFn: answerOnce(c.answers.prefix) }),
  };
}

test("the table holds a case for every verdict a chain can get", () => {
  assert.deepEqual(new Set(table.cases.map((c) => c.expected.verdict)),
    new Set(["affected", "affected_key", "dangerous_responder", "clean"]));
});

for (const c of table.cases) {
  const want = c.expected;

  test(`${c.name}: every mode reaches sim's verdict, position, re-issue and responder fields`, async () => {
    for (const [mode, v] of Object.entries(await verdicts(c))) {
      assert.equal(v.verdict, want.verdict, mode);
      assert.equal(v.source, mode);
      assert.equal(Boolean(v.known_reissue), want.known_reissue, mode);
      assert.equal(v.responder_position ?? null, want.responder_position, mode);
      if (want.entry) {
        assert.equal(v.match.position, want.position, mode);
        for (const field of ["sha256", "ca_label", "incident", "status", "status_date", "reissues"]) {
          assert.deepEqual(v.match.entry[field], want.entry[field], `${mode} ${field}`);
        }
      } else {
        assert.equal(v.match, null, mode);
      }
    }
  });

  test(`${c.name}: the popup and badge show the same facts in English and Japanese, in every mode`, async () => {
    for (const [mode, verdict] of Object.entries(await verdicts(c))) {
      for (const [locale, t] of Object.entries(LOCALES)) {
        const where = `${mode}/${locale}`;
        const state = { host: "table.test", port: 443, verdict };
        const view = popupView({ state, incidents, backendUrl: "http://127.0.0.1:8000", mode }, t);
        const rows = Object.fromEntries(view.rows.map((r) => [r.label, r.value]));
        assert.equal(view.kind, want.verdict, where);
        assert.equal(view.headline, t(want.popup.headline), where);
        assert.equal(badgeFor(state, t).text, want.popup.badge, where);
        assert.equal(view.source, t({ local: "sourceLocal", prefix: "sourcePrefix", direct: "sourceDirect" }[mode]), where);
        if (want.popup.owner === "ownerSwapIntermediate") {
          assert.equal(view.owner, t("ownerSwapIntermediate", [formatFingerprint(want.entry.reissues[0]).slice(0, 23)]), where);
        } else {
          assert.equal(view.owner, want.popup.owner ? t(want.popup.owner) : null, where);
        }
        if (want.entry) {
          assert.equal(rows[t("labelCa")], want.entry.ca_label, where);
          assert.equal(rows[t("labelFingerprint")], formatFingerprint(want.entry.sha256), where);
          // Named from the served chain where there is one; else from the listed entry, whose
          // name only the full entry (direct, prefix) carries: the served registry has none.
          const listed = verdict.match.entry;
          const entryName = listed.subject ? commonName(listed.subject) : listed.sha256;
          const name = want.named_from === "chain" && mode !== "prefix" ? want.certificate_name : entryName;
          assert.equal(rows[t("labelIntermediate")], name, where);
          if (want.named_from === "entry" && listed.subject) assert.equal(entryName, want.certificate_name, where);
        }
        if (want.verdict === "dangerous_responder") {
          // The prefix answer carries no chain, so it cannot name the certificate: no empty row.
          assert.equal(rows[t("labelCertificate")], mode === "prefix" ? undefined : want.certificate_name, where);
        }
        // A remedy code is never shown as advice.
        const shown = JSON.stringify(view);
        for (const code of REMEDY_CODES) assert.ok(!shown.includes(code), `${where} shows ${code}`);
      }
    }
  });
}

test("a local verdict's owner remedy is the registry's words for the code, never the code", async () => {
  const c = table.cases.find((x) => x.name === "affected_with_reissue");
  const local = await verdictForDers(ders(c), index);
  assert.equal(local.remedy.owner, table.registry.remedies.swap_intermediate);
  assert.ok(!REMEDY_CODES.includes(local.remedy.owner));
});
