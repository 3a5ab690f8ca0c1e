// The background logic with a fake browser: what is sent in each mode, and the badge it sets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createController, defaultModeFor, siteOf } from "../src/lib/controller.js";
import { hostHash } from "../src/lib/backend.js";
import { fakeBrowser, fixtureJson, jsonResponse, recordingFetch, servedRegistry, verdictTable } from "./helpers.mjs";

const registry = servedRegistry();
const affectedInfo = fixtureJson("securityinfo-affected.json");
const cleanInfo = fixtureJson("securityinfo-clean.json");
// The real API's answers to GET /v1/hosts (recorded in the verdict table).
const answers = Object.fromEntries(verdictTable().cases.map((c) => [c.name, c.answers.direct]));
const affectedVerdict = answers.affected_with_reissue;
const cleanVerdict = answers.clean;

function backend() {
  return recordingFetch((url) => {
    const u = new URL(url);
    if (u.pathname === "/v1/registry") return jsonResponse(200, registry, { ETag: '"r1"' });
    if (u.pathname === "/v1/hosts/affected.test") return jsonResponse(200, { ...affectedVerdict, host: "affected.test", port: 8443 });
    if (u.pathname === "/v1/hosts/clean.test") return jsonResponse(200, { ...cleanVerdict, host: "clean.test", port: 8443 });
    if (u.pathname.startsWith("/v1/hostprefix/")) return jsonResponse(200, { prefix: u.pathname.split("/").pop(), hosts: [] });
    return jsonResponse(404, { error: { code: "not_found", message: "no" } });
  });
}

test("Chrome's default is the hash-prefix lookup; Firefox's is local matching", async () => {
  assert.equal(defaultModeFor(fakeBrowser().api), "prefix");
  assert.equal(defaultModeFor(fakeBrowser({ firefox: true }).api), "local");
  const { api } = fakeBrowser();
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  assert.equal((await c.settings()).mode, "prefix");
  await c.onNavigation(1, "https://affected.test:8443/page?q=1");
  const asked = calls.map((x) => new URL(x.url).pathname);
  assert.ok(asked.includes(`/v1/hostprefix/${(await hostHash("affected.test")).slice(0, 5)}`), asked);
  assert.ok(asked.every((p) => p === "/v1/registry" || p.startsWith("/v1/hostprefix/")), asked);
  for (const call of calls) assert.ok(!/affected/.test(call.url), call.url);
});

test("'off' checks nothing and sends nothing, in Chrome and in Firefox", async () => {
  for (const firefox of [false, true]) {
    const { api, badge } = fakeBrowser({ firefox, securityInfo: { r1: affectedInfo } });
    await api.storage.local.set({ mode: "off" });
    const { fetchFn, calls } = backend();
    const c = createController({ api, fetchFn });
    await c.onHeadersReceived({ requestId: "r1", tabId: 1, type: "main_frame", url: "https://affected.test/" });
    const state = await c.onNavigation(1, "https://affected.test/");
    assert.equal(state.status, "off");
    assert.equal(calls.length, 0);
    assert.equal(badge(1).text, "");
    assert.equal(badge(1).title, "Off: this extension checks nothing and sends nothing.");
    if (firefox) assert.equal(api.webRequest.calls.length, 0);
  }
});

test("local mode in Chrome: only the registry is downloaded, no host name leaves, no badge", async () => {
  const { api, badge } = fakeBrowser();
  await api.storage.local.set({ mode: "local" });
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  const a = await c.onNavigation(1, "https://affected.test:8443/page?q=1");
  await c.onNavigation(2, "https://clean.test/");
  assert.equal(a.status, "not_checked");
  assert.deepEqual([...new Set(calls.map((x) => new URL(x.url).pathname))], ["/v1/registry"]);
  for (const call of calls) assert.ok(!/affected|clean/.test(call.url), call.url);
  assert.equal(badge(1).text, "");
  assert.equal(badge(1).title, "Private mode: this site was not checked and nothing was sent.");
});

test("direct mode: the affected site's tab gets '!', the clean one nothing", async () => {
  const { api, badge } = fakeBrowser();
  await api.storage.local.set({ mode: "direct", backendUrl: "http://127.0.0.1:9999" });
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  await c.onNavigation(1, "https://affected.test:8443/");
  await c.onNavigation(2, "https://clean.test:8443/");
  assert.equal(badge(1).text, "!");
  assert.equal(badge(1).color, "#c5221f");
  assert.match(badge(1).title, /QuoVadis Qualified Web ICA G1/);
  assert.equal(badge(2).text, "");
  assert.deepEqual(calls.map((x) => x.url).filter((u) => !u.endsWith("/v1/registry")), [
    "http://127.0.0.1:9999/v1/hosts/affected.test?port=8443",
    "http://127.0.0.1:9999/v1/hosts/clean.test?port=8443",
  ]);
  assert.equal((await c.getState(1)).verdict.source, "direct");
});

test("prefix mode sends 5 hex characters, never the host name", async () => {
  const { api, badge } = fakeBrowser();
  await api.storage.local.set({ mode: "prefix" });
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  await c.onNavigation(3, "https://affected.test/");
  const asked = calls.map((x) => new URL(x.url).pathname).filter((p) => p !== "/v1/registry");
  assert.deepEqual(asked, [`/v1/hostprefix/${(await hostHash("affected.test")).slice(0, 5)}`]);
  assert.equal(badge(3).text, "");
  assert.match(badge(3).title, /no result for this site yet/);
});

test("Firefox: the chain from getSecurityInfo is matched locally, in every mode, with no host name sent", async () => {
  const { api, badge } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo, r2: cleanInfo } });
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  assert.equal(c.firefox, true);
  await c.onHeadersReceived({ requestId: "r1", tabId: 5, type: "main_frame", url: "https://affected.test/" });
  await c.onHeadersReceived({ requestId: "r2", tabId: 6, type: "main_frame", url: "https://clean.test/" });
  assert.deepEqual(api.webRequest.calls[0].options, { certificateChain: true, rawDER: true });
  assert.equal(badge(5).text, "!");
  assert.equal(badge(6).text, "");
  assert.equal(badge(6).title, "No known problem with this site's certificate chain.");
  // The navigation commits afterwards (and the browser resets tab badges): the verdict stays.
  badge(5).text = "";
  await c.onNavigation(5, "https://affected.test/");
  assert.equal(badge(5).text, "!");
  assert.deepEqual([...new Set(calls.map((x) => new URL(x.url).pathname))], ["/v1/registry"]);
});

test("Firefox: sub-resources and non-https responses are ignored", async () => {
  const { api } = fakeBrowser({ firefox: true, securityInfo: { r1: affectedInfo } });
  const c = createController({ api, fetchFn: backend().fetchFn });
  await c.onHeadersReceived({ requestId: "r1", tabId: 5, type: "image", url: "https://affected.test/x.png" });
  await c.onHeadersReceived({ requestId: "r1", tabId: 5, type: "main_frame", url: "http://affected.test/" });
  assert.equal(api.webRequest.calls.length, 0);
});

test("'check this site now' does one direct check even in private mode, and updates that tab", async () => {
  const { api, badge } = fakeBrowser();
  const { fetchFn, calls } = backend();
  const c = createController({ api, fetchFn });
  await c.onNavigation(7, "https://affected.test:8443/");
  const state = await c.onMessage({ type: "checkNow", host: "affected.test", port: 8443, tabId: 7 });
  assert.equal(state.verdict.verdict, "affected");
  assert.equal(badge(7).text, "!");
  assert.equal(calls.filter((x) => x.url.includes("/v1/hosts/")).length, 1);
});

test("leaving https clears the tab's badge and state", async () => {
  const { api, badge } = fakeBrowser();
  await api.storage.local.set({ mode: "direct" });
  const c = createController({ api, fetchFn: backend().fetchFn });
  await c.onNavigation(1, "https://affected.test/");
  await c.onNavigation(1, "http://plain.test/");
  assert.equal(badge(1).text, "");
  assert.equal(await c.getState(1), null);
});

test("sites are https URLs only, with the port when it is not 443", () => {
  assert.deepEqual(siteOf("https://Example.TEST:8443/a"), { host: "example.test", port: 8443 });
  assert.deepEqual(siteOf("https://example.test/"), { host: "example.test", port: 443 });
  assert.equal(siteOf("http://example.test/"), null);
  assert.equal(siteOf("chrome://newtab"), null);
  assert.equal(siteOf("not a url"), null);
});
