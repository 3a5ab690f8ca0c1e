// The backend client (docs/api.md): the registry with ETag caching, host checks by hash prefix
// (k-anonymity) and direct host checks. Every function takes its fetch and storage, so the
// unit tests run them in Node with recorded answers.

import { isRegistry, sha256Hex } from "./match.js";

export const DEFAULT_BACKEND = "http://127.0.0.1:8000";
/** Hex characters of the host hash sent in prefix mode (about a million buckets). */
export const PREFIX_LENGTH = 5;
/** How long a downloaded registry is used before asking again (the API's max-age). */
export const REGISTRY_MAX_AGE_MS = 3600 * 1000;
/** A registry download that has not finished by then is abandoned (the next refresh retries). */
export const REGISTRY_TIMEOUT_MS = 30 * 1000;
/** A host check that has not answered by then is "backend unreachable". */
export const CHECK_TIMEOUT_MS = 10 * 1000;
const REGISTRY_KEY = "registryCache";

/** A fetch signal that aborts after `ms` (where the runtime offers AbortSignal.timeout). */
function timeoutSignal(ms) {
  return typeof AbortSignal !== "undefined" && typeof AbortSignal.timeout === "function"
    ? AbortSignal.timeout(ms)
    : undefined;
}

/**
 * The stored registry for this backend, whatever its age, without touching the network.
 * @param {{backendUrl: string, storage: {get: Function}, now?: number}} opts
 * @returns {Promise<{registry: object, etag: string|null, fetchedAt: number, fresh: boolean}|null>}
 */
export async function cachedRegistry({ backendUrl, storage, now = Date.now() }) {
  const base = normalizeBackend(backendUrl);
  const stored = (await storage.get(REGISTRY_KEY))[REGISTRY_KEY];
  if (!stored || stored.backend !== base || !isRegistry(stored.registry)) return null;
  return {
    registry: stored.registry,
    etag: stored.etag ?? null,
    fetchedAt: stored.fetchedAt,
    fresh: now - stored.fetchedAt < REGISTRY_MAX_AGE_MS,
  };
}

/** The backend base URL without a trailing slash; throws on anything but http(s). */
export function normalizeBackend(url) {
  const parsed = new URL(String(url || DEFAULT_BACKEND).trim());
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error("backend URL must be http or https");
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

/**
 * The registry: from the cache while fresh, else GET /v1/registry with If-None-Match.
 * Works offline with the last copy (`stale: true` and the error).
 * @param {{backendUrl: string, fetchFn: typeof fetch, storage: {get: Function, set: Function},
 *          now?: number, force?: boolean}} opts
 * @returns {Promise<{registry: object|null, etag: string|null, fetchedAt: number|null,
 *                    fromCache: boolean, stale: boolean, error: string|null}>}
 */
export async function loadRegistry({ backendUrl, fetchFn, storage, now = Date.now(), force = false }) {
  const base = normalizeBackend(backendUrl);
  const stored = (await storage.get(REGISTRY_KEY))[REGISTRY_KEY];
  const cached = stored && stored.backend === base ? stored : null;
  if (cached && !force && now - cached.fetchedAt < REGISTRY_MAX_AGE_MS) {
    return { registry: cached.registry, etag: cached.etag, fetchedAt: cached.fetchedAt, fromCache: true, stale: false, error: null };
  }
  const headers = {};
  if (cached?.etag) headers["If-None-Match"] = cached.etag;
  let response;
  try {
    response = await fetchFn(`${base}/v1/registry`, {
      headers, cache: "no-store", credentials: "omit", signal: timeoutSignal(REGISTRY_TIMEOUT_MS),
    });
  } catch (err) {
    return offline(cached, `network: ${err.message || err}`);
  }
  if (response.status === 304 && cached) {
    const next = { ...cached, fetchedAt: now };
    await storage.set({ [REGISTRY_KEY]: next });
    return { registry: cached.registry, etag: cached.etag, fetchedAt: now, fromCache: true, stale: false, error: null };
  }
  if (!response.ok) return offline(cached, `HTTP ${response.status}`);
  let registry;
  try {
    registry = await response.json();
  } catch (err) {
    return offline(cached, `bad JSON: ${err.message || err}`);
  }
  if (!isRegistry(registry)) return offline(cached, "not a registry");
  const etag = response.headers.get("ETag");
  await storage.set({ [REGISTRY_KEY]: { backend: base, registry, etag, fetchedAt: now } });
  return { registry, etag, fetchedAt: now, fromCache: false, stale: false, error: null };
}

function offline(cached, error) {
  if (cached) {
    return { registry: cached.registry, etag: cached.etag, fetchedAt: cached.fetchedAt, fromCache: true, stale: true, error };
  }
  return { registry: null, etag: null, fetchedAt: null, fromCache: false, stale: true, error };
}

/** Lower-case hex SHA-256 of the lower-case host name (the API's host_sha256). */
export async function hostHash(host) {
  return sha256Hex(new TextEncoder().encode(String(host).toLowerCase()));
}

function unknown(reason, detail) {
  return {
    verdict: "unknown",
    summary: `Unknown: ${detail}`,
    reasons: [detail],
    unknown_reason: reason,
    match: null,
    remedy: { owner: "", visitor: "" },
    chain: [],
  };
}

async function getJson(fetchFn, url) {
  let response;
  try {
    response = await fetchFn(url, { cache: "no-store", credentials: "omit", signal: timeoutSignal(CHECK_TIMEOUT_MS) });
  } catch (err) {
    return { error: unknown("backend_unreachable", `the backend could not be reached (${err.message || err}).`) };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body?.error?.message || `HTTP ${response.status}`;
    return { error: unknown("backend_error", `the backend refused the check: ${message}`) };
  }
  return { body };
}

/**
 * A k-anonymous check: only the first PREFIX_LENGTH hex characters of the host's hash leave
 * the browser; the full hash is matched here.
 * @returns {Promise<object>} verdict JSON (source "prefix"); unknown "not_known" if not listed
 */
export async function checkHostByPrefix({ backendUrl, fetchFn, host, port = 443 }) {
  const full = await hostHash(host);
  const prefix = full.slice(0, PREFIX_LENGTH);
  const { body, error } = await getJson(fetchFn, `${normalizeBackend(backendUrl)}/v1/hostprefix/${prefix}`);
  if (error) return { ...error, source: "prefix" };
  const hit = (body?.hosts || []).find((h) => h.host_sha256 === full && Number(h.port ?? 443) === Number(port));
  if (!hit) {
    return { ...unknown("not_known", "the backend has no result for this site yet."), source: "prefix" };
  }
  // The API answers each host flat: {host_sha256, port, verdict: "affected", summary, match,
  // remedy, fetched_at} (docs/api.md); the verdict fields are the host entry itself.
  const { host_sha256: _hash, port: _port, fetched_at: _at, ...verdict } = hit;
  if (typeof verdict.verdict !== "string") {
    return { ...unknown("backend_error", "incomplete answer"), source: "prefix" };
  }
  return { ...verdict, reasons: verdict.reasons || [], chain: [], source: "prefix" };
}

/**
 * A direct check: the host name goes to the backend (for a backend the user runs).
 * @returns {Promise<object>} verdict JSON (source "direct")
 */
export async function checkHostDirect({ backendUrl, fetchFn, host, port = 443 }) {
  const query = Number(port) === 443 ? "" : `?port=${Number(port)}`;
  const url = `${normalizeBackend(backendUrl)}/v1/hosts/${encodeURIComponent(String(host).toLowerCase())}${query}`;
  const { body, error } = await getJson(fetchFn, url);
  if (error) return { ...error, source: "direct" };
  return { ...body, chain: body.chain || [], source: "direct" };
}
