// Local matching: the verdict on a chain, computed in the browser, against the registry JSON
// downloaded from GET /v1/registry (format "columns-1": one array per field, docs/api.md). Mirrors sim.registry.match (strongest verdict first) and
// returns the same shape as the API's verdict JSON (sim.registry.Verdict.to_json), so the
// badge and the popup treat a local verdict and a backend verdict alike.

import { OID_OCSP_SIGNING, parseCertificate, toHex } from "./der.js";

export const VERDICTS = ["affected", "affected_key", "dangerous_responder", "clean", "unknown"];

/** Lower-case hex SHA-256 of bytes, with Web Crypto (browsers and Node 20 alike). */
export async function sha256Hex(bytes) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return toHex(new Uint8Array(digest));
}

/**
 * One certificate as the matcher sees it (like sim.loader.CertRecord).
 * @param {Uint8Array} der
 * @returns {Promise<object>} sha256, spki_sha256, subject, issuer, is_ca, ekus, ski, aki, error
 */
export async function certRecord(der) {
  const sha256 = await sha256Hex(der);
  try {
    const c = parseCertificate(der);
    return {
      sha256,
      spki_sha256: await sha256Hex(c.spki),
      subject: c.subject,
      issuer: c.issuer,
      is_ca: c.isCa,
      ekus: c.ekus,
      ski: c.ski,
      aki: c.aki,
      error: null,
    };
  } catch (err) {
    return { sha256, spki_sha256: null, subject: "", issuer: "", is_ca: false, ekus: [], ski: null, aki: null, error: String(err.message || err) };
  }
}

/** The layout GET /v1/registry serves (extension_api/registry_columns.py). */
export const REGISTRY_FORMAT = "columns-1";
/** The fields of a served entry, one array each in the document's `columns`. */
export const REGISTRY_COLUMNS = Object.freeze([
  "sha256", "spki_sha256", "ski", "ca_label", "incident", "status", "status_date", "remedy", "reissues",
]);

/** Whether a document is a registry as the backend serves it (the columns, all as long as count). */
export function isRegistry(registry) {
  if (registry?.format !== REGISTRY_FORMAT || !Number.isInteger(registry.count) || !registry.columns) return false;
  return REGISTRY_COLUMNS.every((name) => Array.isArray(registry.columns[name]) && registry.columns[name].length === registry.count);
}

/** The entries of a served registry, one object per entry ({} of the column values). */
export function registryEntries(registry) {
  if (!isRegistry(registry)) return [];
  const { columns } = registry;
  return Array.from({ length: registry.count }, (_, i) =>
    Object.fromEntries(REGISTRY_COLUMNS.map((name) => [name, columns[name][i]])));
}

/** Lookup tables for a registry as GET /v1/registry serves it. */
export function indexRegistry(registry) {
  const bySha = new Map();
  const bySpki = new Map();
  const bySki = new Map();
  for (const e of registryEntries(registry)) {
    bySha.set(e.sha256, e);
    if (e.spki_sha256) bySpki.set(e.spki_sha256, e);
    if (e.ski) bySki.set(e.ski, e);
  }
  return { bySha, bySpki, bySki, incidents: registry?.incidents || {}, remedies: registry?.remedies || {}, size: bySha.size };
}

function chainJson(records) {
  return records.map((r, i) => ({
    position: i,
    sha256: r.sha256,
    spki_sha256: r.spki_sha256,
    subject: r.subject,
    issuer: r.issuer,
    error: r.error,
  }));
}

/**
 * The verdict on a chain (leaf first) of certificate records against an indexed registry.
 * @param {object[]} records from certRecord
 * @param {ReturnType<typeof indexRegistry>} index
 * @returns {object} verdict JSON: verdict, summary, reasons, match, remedy, chain (+ key_relation)
 */
export function matchChain(records, index) {
  const chain = chainJson(records);
  const readable = records.map((r, i) => [i, r]).filter(([, r]) => !r.error);
  const base = { match: null, remedy: { owner: "", visitor: "" }, chain, source: "local" };
  if (readable.length === 0) {
    const reason = records.length === 0 ? "the chain is empty" : "no certificate of the chain could be parsed";
    return { ...base, verdict: "unknown", summary: `Unknown: ${reason}.`, reasons: [reason] };
  }
  for (const [i, r] of readable) {
    const entry = index.bySha.get(r.sha256);
    if (entry) {
      return {
        ...base,
        verdict: "affected",
        summary: `Affected: ${entry.ca_label} intermediate ${r.subject || entry.sha256} is on the ${entry.incident} list.`,
        reasons: [`certificate #${i} has SHA-256 ${r.sha256}, listed for ${entry.incident}.`],
        match: { position: i, entry },
        // The served entry's remedy is a code; its words are in the registry's `remedies`.
        remedy: { owner: index.remedies?.[entry.remedy] || "", visitor: "" },
      };
    }
  }
  let keyHit = null;
  for (const [i, r] of readable) {
    const entry = r.spki_sha256 && index.bySpki.get(r.spki_sha256);
    if (entry) { keyHit = { i, r, entry, via: "same_key" }; break; }
  }
  if (!keyHit) {
    for (const [i, r] of readable) {
      const entry = r.aki && index.bySki.get(r.aki);
      if (entry) { keyHit = { i, r, entry, via: "issued_by_key" }; break; }
    }
  }
  if (keyHit) {
    const { i, r, entry, via } = keyHit;
    return {
      ...base,
      verdict: "affected_key",
      summary: `Same key as a listed ${entry.ca_label} intermediate: it may be a clean re-issue or the old certificate.`,
      reasons: [`certificate #${i} ${via === "same_key" ? "has the same public key as" : "was issued by the key of"} listed ${entry.sha256}.`],
      match: { position: i, entry },
      key_relation: via,
      known_reissue: (entry.reissues || []).includes(r.sha256),
    };
  }
  for (const [i, r] of readable) {
    if (r.is_ca && r.ekus.includes(OID_OCSP_SIGNING)) {
      return {
        ...base,
        verdict: "dangerous_responder",
        summary: "A CA certificate in the chain carries OCSPSigning: a dangerous responder.",
        reasons: [`certificate #${i} (${r.subject}) is a CA certificate that asserts id-kp-OCSPSigning.`],
        responder_position: i,
      };
    }
  }
  return {
    ...base,
    verdict: "clean",
    summary: "Clean: no certificate of the chain is on an affected list or is a dangerous responder.",
    reasons: [`${readable.length} certificate(s) checked against ${index.size} listed.`],
  };
}

/** Records for a list of DER certificates, then the verdict. */
export async function verdictForDers(ders, index) {
  const records = [];
  for (const der of ders) records.push(await certRecord(der));
  return matchChain(records, index);
}
