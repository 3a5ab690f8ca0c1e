// The background logic, independent of the browser object it is given (chrome or browser),
// so the unit tests drive it with a fake. Modes (options page):
//   "local"  (default): nothing but GET /v1/registry leaves the browser; chains are matched here
//                       where the browser exposes them (Firefox); elsewhere nothing is checked.
//   "prefix": Chrome asks GET /v1/hostprefix/<5 hex of sha256(host)> and matches the full hash here.
//   "direct": Chrome asks GET /v1/hosts/<host> (for a backend the user runs).
// Where the chain is visible (Firefox) it is always matched locally, whatever the mode.

import { checkHostByPrefix, checkHostDirect, DEFAULT_BACKEND, loadRegistry, normalizeBackend } from "./backend.js";
import { hasSecurityInfo, SECURITY_INFO_OPTIONS, verdictFromSecurityInfo } from "./firefox.js";
import { indexRegistry } from "./match.js";
import { badgeFor } from "./present.js";

export const MODES = ["local", "prefix", "direct"];
export const DEFAULT_SETTINGS = Object.freeze({ backendUrl: DEFAULT_BACKEND, mode: "local" });

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
export function createController({ api, fetchFn = (...a) => fetch(...a), now = () => Date.now() }) {
  const session = api.storage.session || memoryStorage();
  const local = api.storage.local;
  const firefox = hasSecurityInfo(api);
  let indexCache = { key: null, index: null };

  const t = (key, subs) => api.i18n.getMessage(key, subs) || key;

  async function settings() {
    const got = await local.get(["backendUrl", "mode"]);
    const mode = MODES.includes(got.mode) ? got.mode : DEFAULT_SETTINGS.mode;
    let backendUrl = DEFAULT_SETTINGS.backendUrl;
    try {
      backendUrl = normalizeBackend(got.backendUrl || DEFAULT_SETTINGS.backendUrl);
    } catch {
      /* keep the default */
    }
    return { backendUrl, mode };
  }

  async function registryIndex(force = false) {
    const { backendUrl } = await settings();
    const loaded = await loadRegistry({ backendUrl, fetchFn, storage: local, now: now(), force });
    if (!loaded.registry) return { index: null, loaded };
    const key = `${backendUrl}|${loaded.etag}|${loaded.fetchedAt === null ? "" : loaded.registry.entries.length}`;
    if (indexCache.key !== key) indexCache = { key, index: indexRegistry(loaded.registry) };
    return { index: indexCache.index, loaded };
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
    if (mode === "local") {
      // Private: no hostname leaves the browser. Keep the registry fresh for local matching.
      await registryIndex();
      state = { host: site.host, port: site.port, status: "not_checked", checkedAt: now() };
    } else {
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
      const info = await api.webRequest.getSecurityInfo(details.requestId, SECURITY_INFO_OPTIONS);
      const { index, loaded } = await registryIndex();
      let verdict;
      if (!index) {
        verdict = {
          verdict: "unknown", summary: "Unknown: no registry yet.", reasons: [loaded.error || ""],
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
        return { count: loaded.registry?.entries?.length ?? 0, stale: loaded.stale, error: loaded.error };
      }
      case "ready":
        return { ready: true, firefox };
      default:
        return null;
    }
  }

  return { settings, registryIndex, onNavigation, onHeadersReceived, checkNow, onMessage, getState, applyBadge, firefox };
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
