// The popup: what the verdict for this tab means, in plain words.
// Opened from the toolbar it shows the active tab; popup.html?tabId=N shows tab N.

import { DEFAULT_SETTINGS, defaultModeFor, MODES, tabKey } from "../lib/controller.js";
import { popupView } from "../lib/present.js";
import { api, el, localize, t } from "../lib/page.js";

async function currentTabId() {
  const param = new URLSearchParams(location.search).get("tabId");
  if (param !== null && /^\d+$/.test(param)) return Number(param);
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab ? tab.id : null;
}

async function render() {
  localize();
  const tabId = await currentTabId();
  const session = api.storage.session;
  const state = tabId === null || !session ? null : (await session.get(tabKey(tabId)))[tabKey(tabId)] || null;
  const stored = await api.storage.local.get(["backendUrl", "mode", "registryCache"]);
  const view = popupView(
    {
      state,
      incidents: stored.registryCache?.registry?.incidents || {},
      backendUrl: stored.backendUrl || DEFAULT_SETTINGS.backendUrl,
      mode: MODES.includes(stored.mode) ? stored.mode : defaultModeFor(api),
    },
    t,
  );
  document.getElementById("verdict").dataset.kind = view.kind;
  document.getElementById("headline").textContent = view.headline;
  const rows = document.getElementById("rows");
  rows.replaceChildren();
  for (const row of view.rows) {
    rows.append(el("dt", row.label), el("dd", row.value, row.mono ? "mono" : null));
  }
  for (const [id, text] of [["visitor", view.visitor], ["owner", view.owner]]) {
    document.getElementById(id).hidden = !text;
    document.getElementById(`${id}-text`).textContent = text || "";
  }
  const lesson = document.getElementById("lesson");
  lesson.hidden = !view.lesson;
  if (view.lesson) {
    const link = document.getElementById("lesson-link");
    link.href = view.lesson.href;
    link.textContent = view.lesson.text;
  }
  document.getElementById("source").textContent = view.source || "";
  document.getElementById("mode").textContent = view.mode || "";
  document.getElementById("options-link").addEventListener("click", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (state?.host) query.set("host", state.port && state.port !== 443 ? `${state.host}:${state.port}` : state.host);
    if (tabId !== null) query.set("tabId", String(tabId));
    api.tabs.create({ url: api.runtime.getURL(`options/options.html?${query}`) });
    window.close();
  });
  document.body.dataset.ready = "1";
}

render();
