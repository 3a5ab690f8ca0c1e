// The Firefox path: the served chain from webRequest.getSecurityInfo, hashed in the browser.
// browser.webRequest.getSecurityInfo(requestId, {certificateChain: true, rawDER: true}) may only
// be called from a blocking onHeadersReceived listener; it resolves to a SecurityInfo object
// whose `certificates` are CertificateInfo objects with `rawDER` as an array of byte values.

import { verdictForDers } from "./match.js";

/** Options for getSecurityInfo: the whole chain, with the DER of each certificate. */
export const SECURITY_INFO_OPTIONS = Object.freeze({ certificateChain: true, rawDER: true });

/**
 * The DER certificates of a SecurityInfo object, leaf first.
 * @param {object} securityInfo as resolved by getSecurityInfo
 * @returns {Uint8Array[]|null} null when the connection was not TLS or carried no certificates
 */
export function dersFromSecurityInfo(securityInfo) {
  if (!securityInfo || securityInfo.state === "insecure") return null;
  const certs = Array.isArray(securityInfo.certificates) ? securityInfo.certificates : [];
  const ders = certs.filter((c) => Array.isArray(c.rawDER) || c.rawDER instanceof Uint8Array)
    .map((c) => Uint8Array.from(c.rawDER));
  return ders.length ? ders : null;
}

/**
 * The verdict for a SecurityInfo object against an indexed registry.
 * @param {object} securityInfo
 * @param {object} index from indexRegistry
 */
export async function verdictFromSecurityInfo(securityInfo, index) {
  const ders = dersFromSecurityInfo(securityInfo);
  if (!ders) {
    return {
      verdict: "unknown",
      summary: "Unknown: the browser gave no certificate chain for this page.",
      reasons: ["no_chain"],
      unknown_reason: "no_chain",
      match: null,
      remedy: { owner: "", visitor: "" },
      chain: [],
      source: "local",
    };
  }
  return verdictForDers(ders, index);
}

/** Whether this browser offers getSecurityInfo (Firefox does, Chrome does not). */
export function hasSecurityInfo(api) {
  return typeof api?.webRequest?.getSecurityInfo === "function";
}
