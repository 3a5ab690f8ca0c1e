// The backend client: registry caching with ETag and offline copy, prefix and direct checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHostByPrefix, checkHostDirect, hostHash, loadRegistry, normalizeBackend, REGISTRY_MAX_AGE_MS } from "../src/lib/backend.js";
import { jsonResponse, recordingFetch, servedRegistry, storageArea } from "./helpers.mjs";

const registry = servedRegistry();
const BACKEND = "http://127.0.0.1:8000";
const ETAG = '"abc123"';

test("the first load downloads the registry and keeps it with its ETag", async () => {
  const storage = storageArea();
  const { fetchFn, calls } = recordingFetch(() => jsonResponse(200, registry, { ETag: ETAG }));
  const got = await loadRegistry({ backendUrl: BACKEND, fetchFn, storage, now: 1000 });
  assert.equal(got.registry.count, 293);
  assert.equal(got.etag, ETAG);
  assert.equal(got.fromCache, false);
  assert.deepEqual(calls.map((c) => c.url), ["http://127.0.0.1:8000/v1/registry"]);
  assert.equal(calls[0].init.headers["If-None-Match"], undefined);
  assert.equal(storage.data.registryCache.etag, ETAG);
});

test("a fresh copy is used without asking; an old one is revalidated with If-None-Match and 304", async () => {
  const storage = storageArea();
  const first = recordingFetch(() => jsonResponse(200, registry, { ETag: ETAG }));
  await loadRegistry({ backendUrl: BACKEND, fetchFn: first.fetchFn, storage, now: 0 });
  const second = recordingFetch(() => jsonResponse(304));
  const fresh = await loadRegistry({ backendUrl: BACKEND, fetchFn: second.fetchFn, storage, now: 60_000 });
  assert.equal(second.calls.length, 0);
  assert.equal(fresh.fromCache, true);
  const later = await loadRegistry({ backendUrl: BACKEND, fetchFn: second.fetchFn, storage, now: REGISTRY_MAX_AGE_MS + 1 });
  assert.equal(second.calls.length, 1);
  assert.equal(second.calls[0].init.headers["If-None-Match"], ETAG);
  assert.equal(later.registry.count, 293);
  assert.equal(later.stale, false);
});

test("offline, the last copy is used and marked stale; with no copy there is no registry", async () => {
  const storage = storageArea();
  const ok = recordingFetch(() => jsonResponse(200, registry, { ETag: ETAG }));
  await loadRegistry({ backendUrl: BACKEND, fetchFn: ok.fetchFn, storage, now: 0 });
  const down = async () => { throw new TypeError("Failed to fetch"); };
  const got = await loadRegistry({ backendUrl: BACKEND, fetchFn: down, storage, now: REGISTRY_MAX_AGE_MS * 5 });
  assert.equal(got.registry.count, 293);
  assert.equal(got.stale, true);
  assert.match(got.error, /Failed to fetch/);
  const none = await loadRegistry({ backendUrl: BACKEND, fetchFn: down, storage: storageArea(), now: 0 });
  assert.equal(none.registry, null);
  const broken = recordingFetch(() => jsonResponse(500, { error: { code: "internal", message: "x" } }));
  const kept = await loadRegistry({ backendUrl: BACKEND, fetchFn: broken.fetchFn, storage, now: REGISTRY_MAX_AGE_MS * 9 });
  assert.equal(kept.registry.count, 293);
});

test("a copy from another backend is not used for a new backend URL", async () => {
  const storage = storageArea();
  const a = recordingFetch(() => jsonResponse(200, registry, { ETag: ETAG }));
  await loadRegistry({ backendUrl: BACKEND, fetchFn: a.fetchFn, storage, now: 0 });
  const empty = { ...registry, count: 0, columns: Object.fromEntries(Object.keys(registry.columns).map((k) => [k, []])) };
  const b = recordingFetch(() => jsonResponse(200, empty, { ETag: '"empty"' }));
  const got = await loadRegistry({ backendUrl: "https://revlab.example.org/", fetchFn: b.fetchFn, storage, now: 1 });
  assert.deepEqual(b.calls.map((c) => c.url), ["https://revlab.example.org/v1/registry"]);
  assert.equal(got.registry.count, 0);
});

test("prefix mode sends only 5 hex characters of the host's hash and matches the full hash locally", async () => {
  const full = await hostHash("Affected.TEST");
  assert.equal(full, await hostHash("affected.test"));
  // The API's shape: one flat object per host (tests/extension/test_extension_package.py also
  // feeds the real backend's answer to checkHostByPrefix).
  const verdict = { verdict: "affected", summary: "s", match: null, remedy: { owner: "", visitor: "" }, fetched_at: "2026-11-01T00:00:00+00:00" };
  const { fetchFn, calls } = recordingFetch(() =>
    jsonResponse(200, {
      prefix: full.slice(0, 5),
      hosts: [
        { host_sha256: full.slice(0, 5) + "0".repeat(59), port: 443, ...verdict, verdict: "clean" },
        { host_sha256: full, port: 8443, ...verdict, verdict: "clean" },
        { host_sha256: full, port: 443, ...verdict },
      ],
    }),
  );
  const got = await checkHostByPrefix({ backendUrl: BACKEND, fetchFn, host: "affected.test", port: 443 });
  assert.equal(got.verdict, "affected");
  assert.equal(got.source, "prefix");
  assert.deepEqual(calls.map((c) => c.url), [`${BACKEND}/v1/hostprefix/${full.slice(0, 5)}`]);
  assert.ok(!calls[0].url.includes("affected"));
});

test("prefix mode says 'not known' when the backend has no result for the full hash", async () => {
  const { fetchFn } = recordingFetch(() => jsonResponse(200, { prefix: "abcde", hosts: [] }));
  const got = await checkHostByPrefix({ backendUrl: BACKEND, fetchFn, host: "clean.test" });
  assert.equal(got.verdict, "unknown");
  assert.equal(got.unknown_reason, "not_known");
});

test("direct mode asks /v1/hosts/<host> with the port only when it is not 443", async () => {
  const body = { verdict: "clean", summary: "", reasons: [], match: null, remedy: { owner: "", visitor: "" }, chain: [], host: "clean.test", port: 8443, cached: false };
  const { fetchFn, calls } = recordingFetch(() => jsonResponse(200, body));
  const got = await checkHostDirect({ backendUrl: BACKEND + "/", fetchFn, host: "Clean.Test", port: 8443 });
  await checkHostDirect({ backendUrl: BACKEND, fetchFn, host: "clean.test", port: 443 });
  assert.equal(got.verdict, "clean");
  assert.equal(got.source, "direct");
  assert.deepEqual(calls.map((c) => c.url), [`${BACKEND}/v1/hosts/clean.test?port=8443`, `${BACKEND}/v1/hosts/clean.test`]);
  assert.equal(calls[0].init.credentials, "omit");
});

test("a refused check or an unreachable backend becomes an unknown verdict with the reason", async () => {
  const refused = recordingFetch(() => jsonResponse(400, { error: { code: "invalid_host", message: "not a host name" } }));
  const a = await checkHostDirect({ backendUrl: BACKEND, fetchFn: refused.fetchFn, host: "x" });
  assert.equal(a.verdict, "unknown");
  assert.equal(a.unknown_reason, "backend_error");
  assert.match(a.summary, /not a host name/);
  const down = async () => { throw new TypeError("Failed to fetch"); };
  const b = await checkHostByPrefix({ backendUrl: BACKEND, fetchFn: down, host: "x" });
  assert.equal(b.unknown_reason, "backend_unreachable");
});

test("backend URLs are normalised and only http(s) is accepted", () => {
  assert.equal(normalizeBackend("http://127.0.0.1:8000/"), "http://127.0.0.1:8000");
  assert.equal(normalizeBackend(" https://api.example.org/revlab/ "), "https://api.example.org/revlab");
  assert.throws(() => normalizeBackend("ftp://example.org"));
  assert.throws(() => normalizeBackend("not a url"));
});
