// The options page: backend URL, privacy mode (with what each reveals), "check this site now".

import { DEFAULT_SETTINGS, defaultModeFor, MODES } from "../lib/controller.js";
import { normalizeBackend } from "../lib/backend.js";
import { badgeFor } from "../lib/present.js";
import { api, localize, t } from "../lib/page.js";

const VERDICT_NAMES = {
  affected: "verdictAffected",
  affected_key: "verdictAffectedKey",
  dangerous_responder: "verdictResponder",
  clean: "verdictClean",
  unknown: "verdictUnknown",
};

async function showRegistry() {
  const out = document.getElementById("registry");
  const answer = await api.runtime.sendMessage({ type: "refreshRegistry" });
  if (!answer || !answer.count) out.textContent = t("optRegistryMissing");
  else out.textContent = t(answer.stale ? "optRegistryOffline" : "optRegistryStatus", [String(answer.count)]);
}

async function init() {
  localize();
  const params = new URLSearchParams(location.search);
  const stored = await api.storage.local.get(["backendUrl", "mode"]);
  const backend = document.getElementById("backend");
  backend.value = stored.backendUrl || DEFAULT_SETTINGS.backendUrl;
  const mode = MODES.includes(stored.mode) ? stored.mode : defaultModeFor(api);
  document.querySelector(`input[name="mode"][value="${mode}"]`).checked = true;
  document.getElementById("host").value = params.get("host") || "";

  document.getElementById("settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const saved = document.getElementById("saved");
    let url;
    try {
      url = normalizeBackend(backend.value);
    } catch {
      saved.textContent = t("optBadUrl");
      return;
    }
    const chosen = document.querySelector('input[name="mode"]:checked')?.value || defaultModeFor(api);
    await api.storage.local.set({ backendUrl: url, mode: chosen });
    saved.textContent = t("optSaved");
    showRegistry();
  });

  document.getElementById("check").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("check-result");
    const raw = document.getElementById("host").value.trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw);
    if (!m) return;
    result.textContent = t("optChecking");
    const tabId = params.get("tabId");
    const state = await api.runtime.sendMessage({
      type: "checkNow",
      host: m[1],
      port: m[2] ? Number(m[2]) : 443,
      tabId: tabId && /^\d+$/.test(tabId) ? Number(tabId) : null,
    });
    const kind = state?.verdict?.verdict;
    result.dataset.verdict = kind || "";
    result.textContent = kind ? `${t(VERDICT_NAMES[kind])}: ${badgeFor(state, t).title}` : t("reasonCouldNotFetch");
  });

  showRegistry();
}

init();
