// Background service worker (Chrome) / background script (Firefox). Wires browser events to the
// controller; all logic lives in lib/ where the unit tests reach it.

import { createController } from "./lib/controller.js";

const api = globalThis.browser ?? globalThis.chrome;
const controller = createController({ api });

api.webNavigation.onCommitted.addListener((details) => {
  if (details.frameId !== 0) return;
  controller.onNavigation(details.tabId, details.url);
});

// Tab-specific badges are reset when a tab navigates: re-apply the stored verdict once loaded.
api.tabs.onUpdated.addListener(async (tabId, changeInfo) => {
  if (changeInfo.status !== "complete") return;
  const state = await controller.getState(tabId);
  if (state) await controller.applyBadge(tabId, state);
});

api.tabs.onRemoved.addListener((tabId) => {
  (api.storage.session ?? null)?.remove?.(`tab:${tabId}`);
});

if (controller.firefox) {
  api.webRequest.onHeadersReceived.addListener(
    (details) => controller.onHeadersReceived(details),
    { urls: ["https://*/*"], types: ["main_frame"] },
    ["blocking"],
  );
}

api.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  controller.onMessage(message).then(sendResponse, (err) => sendResponse({ error: String(err) }));
  return true;
});

api.runtime.onInstalled.addListener(() => {
  controller.registryIndex().catch(() => {});
});

// Marks the script as run: the end-to-end test waits for it before navigating.
globalThis.revlabReady = true;
