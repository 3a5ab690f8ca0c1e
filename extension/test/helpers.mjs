// Shared by the unit tests: fixtures, a chrome.i18n stand-in, a fake browser API and fetch.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = path.join(HERE, "..", "src");
export const REPO = path.join(HERE, "..", "..");

export const fixture = (name) => readFileSync(path.join(HERE, "fixtures", name));
export const fixtureJson = (name) => JSON.parse(fixture(name).toString("utf-8"));
export const der = (name) => new Uint8Array(fixture(name));
/** The shared verdict table (tools/make_verdict_table.py, through the real sim and API). */
export const verdictTable = () => fixtureJson("verdict_table.json");
/** The registry exactly as GET /v1/registry serves it (from the verdict table). */
export const servedRegistry = () => verdictTable().registry;

/** Certificates of a PEM bundle, as DER. */
export function pemBundle(text) {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (m) => new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ""), "base64")),
  );
}

/** The messages of a locale. */
export function messages(locale) {
  return JSON.parse(readFileSync(path.join(SRC, "_locales", locale, "messages.json"), "utf-8"));
}

/** chrome.i18n.getMessage for one locale: $1..$9 substitutions as Chrome does them. */
export function i18n(locale) {
  const table = messages(locale);
  const getMessage = (key, subs) => {
    if (key === "@@ui_locale") return locale;
    const entry = table[key];
    if (!entry) return "";
    const list = subs == null ? [] : Array.isArray(subs) ? subs : [subs];
    return entry.message.replace(/\$(\$|[1-9])/g, (_, d) => (d === "$" ? "$" : list[Number(d) - 1] ?? ""));
  };
  return { getMessage, t: (key, subs) => getMessage(key, subs) || key };
}

/** A storage area like chrome.storage.local. */
export function storageArea(initial = {}) {
  const data = { ...initial };
  return {
    data,
    async get(keys) {
      if (keys == null) return { ...data };
      const list = Array.isArray(keys) ? keys : [keys];
      return Object.fromEntries(list.filter((k) => k in data).map((k) => [k, structuredClone(data[k])]));
    },
    async set(obj) {
      Object.assign(data, structuredClone(obj));
    },
    async remove(key) {
      for (const k of Array.isArray(key) ? key : [key]) delete data[k];
    },
  };
}

/** A Response-like object. */
export function jsonResponse(status, body, headers = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    async json() {
      if (body === undefined) throw new SyntaxError("no body");
      return structuredClone(body);
    },
  };
}

/** A fetch that records every URL and answers from `route(url, init)`. */
export function recordingFetch(route) {
  const calls = [];
  const fetchFn = async (url, init = {}) => {
    calls.push({ url, init });
    return route(url, init);
  };
  return { fetchFn, calls };
}

/** A fake browser API: storage, i18n, action (badge per tab); `firefox` adds getSecurityInfo. */
export function fakeBrowser({ locale = "en", firefox = false, securityInfo = {} } = {}) {
  const badges = new Map();
  const tab = (tabId) => {
    if (!badges.has(tabId)) badges.set(tabId, { text: "", color: null, title: "" });
    return badges.get(tabId);
  };
  const api = {
    i18n: i18n(locale),
    storage: { local: storageArea(), session: storageArea() },
    action: {
      async setBadgeText({ tabId, text }) { tab(tabId).text = text; },
      async setBadgeBackgroundColor({ tabId, color }) { tab(tabId).color = color; },
      async setTitle({ tabId, title }) { tab(tabId).title = title; },
    },
  };
  if (firefox) {
    api.webRequest = {
      calls: [],
      async getSecurityInfo(requestId, options) {
        api.webRequest.calls.push({ requestId, options });
        return securityInfo[requestId];
      },
    };
  }
  return { api, badges, badge: tab };
}
