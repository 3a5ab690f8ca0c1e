// The background logic, independent of the browser object it is given (chrome or browser),
// so the unit tests drive it with a fake. Modes (options page):
//   "local"  (Firefox's default): nothing but GET /v1/registry leaves the browser; chains are
//            matched here where the browser exposes them (Firefox); elsewhere nothing is checked.
//   "prefix" (Chrome's default, as Chrome shows extensions no chain): asks
//            GET /v1/hostprefix/<5 hex of sha256(host)> and matches the full hash here.
//   "direct": asks GET /v1/hosts/<host> (for a backend the user runs).
//   "off":    nothing is checked and nothing is sent.
// Where the chain is visible (Firefox) it is matched locally in every mode but "off".
//
// Never a stalled page: Firefox's blocking onHeadersReceived listener holds the page until it
// returns, so it never waits on the network. It matches against the stored registry, stale or
// not, and refreshes it in the background; only the very first download (nothing stored yet) is
// awaited, for at most FIRST_REGISTRY_WAIT_MS, after which the page gets "unknown". Pages that
// load at once share one download.

import { cachedRegistry, checkHostByPrefix, checkHostDirect, DEFAULT_BACKEND, loadRegistry, normalizeBackend } from "./backend.js";
import { hasSecurityInfo, SECURITY_INFO_OPTIONS, verdictFromSecurityInfo } from "./firefox.js";
import { indexRegistry } from "./match.js";
import { badgeFor } from "./present.js";

export const MODES = ["local", "prefix", "direct", "off"];
export const DEFAULT_SETTINGS = Object.freeze({ backendUrl: DEFAULT_BACKEND, mode: "local" });

/**
 * The default mode of a browser: "local" where the extension sees the chain (Firefox), else
 * "prefix", so that Chrome is protected by default without sending a hostname.
 */
export function defaultModeFor(api) {
  return hasSecurityInfo(api) ? "local" : "prefix";
}
/** How long a page may wait for the very first registry download (DESIGN: never beyond 2 s). */
export const FIRST_REGISTRY_WAIT_MS = 2000;

/** The key of a tab's state in session storage. */
export const tabKey = (tabId) => `tab:${tabId}`;

/** Host and port of an https URL, or null for anything else. */
export function siteOf(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" || !parsed.hostname) return null;
  return { host: parsed.hostname.toLowerCase().replace(/^\[|\]$/g, ""), port: parsed.port ? Number(parsed.port) : 443 };
}

/**
 * Build the controller.
 * @param {{api: object, fetchFn?: typeof fetch, now?: () => number}} deps
 */
export function createController({
  api, fetchFn = (...a) => fetch(...a), now = () => Date.now(), firstWaitMs = FIRST_REGISTRY_WAIT_MS,
}) {
  const session = api.storage.session || memoryStorage();
  const local = api.storage.local;
  const firefox = hasSecurityInfo(api);
  let indexCache = { key: null, index: null };
  /** The registry download under way ({backendUrl, promise}), shared until it settles. */
  let inflight = null;
  /** When pages stop waiting for the first download (set by the first page that waits). */
  let firstWaitUntil = null;

  const t = (key, subs) => api.i18n.getMessage(key, subs) || key;

  async function settings() {
    const got = await local.get(["backendUrl", "mode"]);
    const mode = MODES.includes(got.mode) ? got.mode : defaultModeFor(api);
    let backendUrl = DEFAULT_SETTINGS.backendUrl;
    try {
      backendUrl = normalizeBackend(got.backendUrl || DEFAULT_SETTINGS.backendUrl);
    } catch {
      /* keep the default */
    }
    return { backendUrl, mode };
  }

  function indexOf(backendUrl, registry, etag) {
    const key = `${backendUrl}|${etag}|${registry.count}`;
    if (indexCache.key !== key) indexCache = { key, index: indexRegistry(registry) };
    return indexCache.index;
  }

  /** Load the registry (from the cache while fresh, else the network); one download at a time. */
  async function registryIndex(force = false) {
    const { backendUrl } = await settings();
    // Checked and set with no await in between: concurrent callers share one download.
    if (inflight?.backendUrl === backendUrl) return inflight.promise;
    const promise = (async () => {
      const loaded = await loadRegistry({ backendUrl, fetchFn, storage: local, now: now(), force });
      if (!loaded.registry) return { index: null, loaded };
      return { index: indexOf(backendUrl, loaded.registry, loaded.etag), loaded };
    })().finally(() => {
      if (inflight?.promise === promise) inflight = null;
    });
    inflight = { backendUrl, promise };
    return promise;
  }

  /**
   * The index a page is matched against, without waiting on the network: the stored registry
   * (stale or not, refreshed in the background when old); with nothing stored, the shared first
   * download, awaited until `firstWaitMs` after the first page that needed it, never longer.
   * @returns {Promise<{index: object|null, error: string|null}>}
   */
  async function registryForPage() {
    const { backendUrl } = await settings();
    const cached = await cachedRegistry({ backendUrl, storage: local, now: now() });
    if (cached) {
      if (!cached.fresh) registryIndex().catch(() => {});
      return { index: indexOf(backendUrl, cached.registry, cached.etag), error: null };
    }
    // A real clock (not `now`, which dates the cache): the pages' wait ends at one moment.
    if (firstWaitUntil === null) firstWaitUntil = Date.now() + firstWaitMs;
    const download = registryIndex().catch((err) => ({ index: null, loaded: { error: String(err) } }));
    let timer;
    const waited = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(0, firstWaitUntil - Date.now()));
    });
    const got = await Promise.race([download, waited]);
    clearTimeout(timer);
    if (!got) return { index: null, error: `no registry within ${firstWaitMs} ms` };
    return { index: got.index, error: got.loaded.error };
  }

  async function saveState(tabId, state) {
    await session.set({ [tabKey(tabId)]: state });
  }

  async function getState(tabId) {
    return (await session.get(tabKey(tabId)))[tabKey(tabId)] || null;
  }

  async function applyBadge(tabId, state) {
    const badge = badgeFor(state, t);
    try {
      await api.action.setBadgeText({ tabId, text: badge.text });
      if (badge.color) await api.action.setBadgeBackgroundColor({ tabId, color: badge.color });
      await api.action.setTitle({ tabId, title: badge.title });
    } catch {
      /* the tab is gone */
    }
  }

  /** Check a site through the backend in the given mode ("prefix" or "direct"). */
  async function checkRemote(mode, site) {
    const { backendUrl } = await settings();
    const args = { backendUrl, fetchFn, host: site.host, port: site.port };
    return mode === "direct" ? checkHostDirect(args) : checkHostByPrefix(args);
  }

  /**
   * A top-level navigation committed (webNavigation.onCommitted, frameId 0).
   * @returns {Promise<object|null>} the tab's new state
   */
  async function onNavigation(tabId, url) {
    const site = siteOf(url);
    if (!site) {
      await session.remove(tabKey(tabId));
      await applyBadge(tabId, null);
      return null;
    }
    const previous = await getState(tabId);
    if (firefox) {
      // The chain was read in onHeadersReceived: keep that verdict, re-apply it after the reset.
      if (previous && previous.host === site.host && previous.port === site.port && previous.verdict) {
        await applyBadge(tabId, previous);
        return previous;
      }
    }
    const { mode } = await settings();
    let state;
    if (mode === "off") {
      state = { host: site.host, port: site.port, status: "off", checkedAt: now() };
    } else if (mode === "local") {
      // Private: no hostname leaves the browser. Keep the registry fresh for local matching.
      await registryForPage();
      state = { host: site.host, port: site.port, status: "not_checked", checkedAt: now() };
    } else {
      // The registry (anonymous) gives the popup its incident texts; never awaited here.
      registryForPage().catch(() => {});
      const verdict = await checkRemote(mode, site);
      state = { host: site.host, port: site.port, verdict, checkedAt: now() };
    }
    await saveState(tabId, state);
    await applyBadge(tabId, state);
    return state;
  }

  /**
   * Firefox: a top-level response's headers arrived; read the chain and match it here.
   * Must be called from a blocking onHeadersReceived listener.
   */
  async function onHeadersReceived(details) {
    if (details.type !== "main_frame" || details.tabId < 0) return {};
    const site = siteOf(details.url);
    if (!site) return {};
    try {
      if ((await settings()).mode === "off") return {};
      const info = await api.webRequest.getSecurityInfo(details.requestId, SECURITY_INFO_OPTIONS);
      const { index, error } = await registryForPage();
      let verdict;
      if (!index) {
        verdict = {
          verdict: "unknown", summary: "Unknown: no registry yet.", reasons: [error || ""],
          unknown_reason: "no_registry", match: null, remedy: { owner: "", visitor: "" }, chain: [], source: "local",
        };
      } else {
        verdict = await verdictFromSecurityInfo(info, index);
      }
      const state = { host: site.host, port: site.port, verdict, checkedAt: now() };
      await saveState(details.tabId, state);
      await applyBadge(details.tabId, state);
    } catch {
      /* never block the page */
    }
    return {};
  }

  /** The options page's "check this site now": one direct check the user asked for. */
  async function checkNow({ host, port = 443, tabId = null }) {
    const site = siteOf(`https://${host}${Number(port) === 443 ? "" : `:${Number(port)}`}/`);
    if (!site) return { error: "bad_host" };
    const verdict = await checkRemote("direct", site);
    const state = { host: site.host, port: site.port, verdict, checkedAt: now() };
    if (tabId != null) {
      const previous = await getState(tabId);
      if (!previous || previous.host === site.host) {
        await saveState(tabId, state);
        await applyBadge(tabId, state);
      }
    }
    return state;
  }

  async function onMessage(message) {
    switch (message?.type) {
      case "checkNow":
        return checkNow(message);
      case "getState":
        return getState(message.tabId);
      case "refreshRegistry": {
        const { loaded } = await registryIndex(true);
        return { count: loaded.registry?.count ?? 0, stale: loaded.stale, error: loaded.error };
      }
      case "ready":
        return { ready: true, firefox };
      default:
        return null;
    }
  }

  return { settings, registryIndex, registryForPage, onNavigation, onHeadersReceived, checkNow, onMessage, getState, applyBadge, firefox };
}

function memoryStorage() {
  const data = new Map();
  return {
    async get(key) {
      return data.has(key) ? { [key]: data.get(key) } : {};
    },
    async set(obj) {
      for (const [k, v] of Object.entries(obj)) data.set(k, v);
    },
    async remove(key) {
      data.delete(key);
    },
  };
}
