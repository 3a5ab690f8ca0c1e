// Shared by the popup and the options page: localisation of static markup and small helpers.

export const api = globalThis.browser ?? globalThis.chrome;

/** A message in the browser's language (falls back to the key, never to an empty string). */
export const t = (key, subs) => api.i18n.getMessage(key, subs) || key;

/** Fill every [data-i18n] element's text and set the document's language and direction. */
export function localize(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.documentElement.lang = api.i18n.getMessage("@@ui_locale").replace("_", "-") || "en";
  document.documentElement.dir = api.i18n.getMessage("@@bidi_dir") || "ltr";
}

/** An element with text (never HTML: names come from certificates). */
export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  if (className) node.className = className;
  return node;
}
