// Never a stalled page: Firefox's blocking listener never waits on the network beyond the very
// first download (bounded), matches on the stored registry stale or not, and shares downloads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createController, FIRST_REGISTRY_WAIT_MS } from "../src/lib/controller.js";
import { REGISTRY_MAX_AGE_MS } from "../src/lib/backend.js";
import { fakeBrowser, fixtureJson, jsonResponse, recordingFetch, servedRegistry } from "./helpers.mjs";

const registry = servedRegistry();
const affectedInfo = fixtureJson("securityinfo-affected.json");
const BACKEND = "http://127.0.0.1:8000";

/** A backend that accepts every request and never answers. */
const silent = () => recordingFetch(() => new Promise(() => {}));
const page = (requestId, tabId) => ({ requestId, tabId, type: "main_frame", url: "https://affected.test/" });

test("the first-download wait is 2 seconds at most", () => {
  assert.equal(FIRST_REGISTRY_WAIT_MS, 2000);
});

test("with nothing stored and a backend that never answers, the page gets 'unknown' after the bounded wait", async () => {
  const { api, badge } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo } });
  const { fetchFn, calls } = silent();
  const c = createController({ api, fetchFn, firstWaitMs: 50 });
  await c.onHeadersReceived(page("r1", 1));
  const state = await c.getState(1);
  assert.equal(state.verdict.verdict, "unknown");
  assert.equal(state.verdict.unknown_reason, "no_registry");
  assert.equal(badge(1).title, "Not checked: the list of affected intermediates could not be downloaded yet.");
  assert.equal(calls.length, 1);
});

test("pages loading at once share one registry download", async () => {
  const { api } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo, r2: affectedInfo, r3: affectedInfo } });
  const { fetchFn, calls } = silent();
  const c = createController({ api, fetchFn, firstWaitMs: 50 });
  await Promise.all([c.onHeadersReceived(page("r1", 1)), c.onHeadersReceived(page("r2", 2)), c.onHeadersReceived(page("r3", 3))]);
  assert.equal(calls.length, 1);
});

test("a stale registry is matched at once and refreshed in the background", async () => {
  const { api, badge } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo, r2: affectedInfo } });
  await api.storage.local.set({ registryCache: { backend: BACKEND, registry, etag: '"old"', fetchedAt: 0 } });
  const { fetchFn, calls } = silent();
  // A wait longer than the test: the page must not depend on it.
  const c = createController({ api, fetchFn, now: () => REGISTRY_MAX_AGE_MS * 5, firstWaitMs: 60_000 });
  await c.onHeadersReceived(page("r1", 1));
  await c.onHeadersReceived(page("r2", 2));
  assert.equal((await c.getState(1)).verdict.verdict, "affected");
  assert.equal(badge(2).text, "!");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].init.headers["If-None-Match"], '"old"');
});

test("a fresh registry is used without any request", async () => {
  const { api } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo } });
  await api.storage.local.set({ registryCache: { backend: BACKEND, registry, etag: '"r"', fetchedAt: 1000 } });
  const { fetchFn, calls } = silent();
  const c = createController({ api, fetchFn, now: () => 2000, firstWaitMs: 60_000 });
  await c.onHeadersReceived(page("r1", 1));
  assert.equal((await c.getState(1)).verdict.verdict, "affected");
  assert.equal(calls.length, 0);
});

test("a first download that answers within the wait is used for the page", async () => {
  const { api, badge } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo } });
  const { fetchFn } = recordingFetch(() => jsonResponse(200, registry, { ETag: '"r1"' }));
  const c = createController({ api, fetchFn });
  await c.onHeadersReceived(page("r1", 1));
  assert.equal(badge(1).text, "!");
});

test("every registry download and host check carries an abort signal (no request hangs forever)", async () => {
  const { api } = fakeBrowser();
  await api.storage.local.set({ mode: "direct" });
  const { fetchFn, calls } = silent();
  const c = createController({ api, fetchFn, firstWaitMs: 10 });
  c.registryIndex();
  c.onNavigation(1, "https://affected.test/");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls.length, 2);
  for (const call of calls) assert.ok(call.init.signal instanceof AbortSignal, call.url);
});

test("only the very first download is awaited: once its wait is over, later pages do not wait", async () => {
  const { api } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo, r2: affectedInfo } });
  const { fetchFn, calls } = silent();
  const c = createController({ api, fetchFn, firstWaitMs: 200 });
  const first = Date.now();
  await c.onHeadersReceived(page("r1", 1));
  assert.ok(Date.now() - first >= 150);
  const second = Date.now();
  await c.onHeadersReceived(page("r2", 2));
  assert.ok(Date.now() - second < 150, "the second page waited again");
  assert.equal((await c.getState(2)).verdict.unknown_reason, "no_registry");
  assert.equal(calls.length, 1);
});
