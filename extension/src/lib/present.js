// What the user sees: the badge for a verdict and the popup's sections, in the browser's
// language. Every visible word comes from _locales through `t(key, substitutions)`; the
// backend's English sentences are never shown as such (only names, fingerprints and dates).

export const BADGE = Object.freeze({
  affected: { text: "!", color: "#c5221f" },
  affected_key: { text: "?", color: "#e37400" },
  dangerous_responder: { text: "?", color: "#e37400" },
});

/** The CN of an RFC 4514 name, else the whole name. */
export function commonName(name) {
  const m = /(?:^|,)CN=((?:\\.|[^,\\])*)/.exec(name || "");
  return m ? m[1].replace(/\\(.)/g, "$1") : name || "";
}

/** A SHA-256 hex fingerprint as colon-separated upper-case pairs. */
export function formatFingerprint(hex) {
  return (hex || "").toUpperCase().match(/.{1,2}/g)?.join(":") || "";
}

function entryOf(verdict) {
  return verdict?.match?.entry || null;
}

/**
 * The served certificate a verdict is about, or null. An affected_key match through the issuer's
 * key identifier points at a certificate the listed key signed (often the leaf itself), not at the
 * listed intermediate: then the popup names the listed entry instead.
 */
export function servedCertificate(verdict) {
  const entry = entryOf(verdict);
  const pos = verdict?.match?.position ?? verdict?.responder_position;
  const served = pos != null ? verdict?.chain?.[pos] : null;
  if (served && entry && verdict.verdict === "affected_key" && served.spki_sha256 !== entry.spki_sha256) return null;
  return served || null;
}

function certName(verdict) {
  const entry = entryOf(verdict);
  const served = servedCertificate(verdict);
  return commonName(served?.subject || entry?.subject || "") || entry?.sha256 || "";
}

/**
 * The badge of a tab.
 * @param {object|null} state the tab's state ({verdict} or {status: "not_checked"})
 * @param {(key: string, subs?: string[]) => string} t
 * @returns {{text: string, color: string|null, title: string}}
 */
export function badgeFor(state, t) {
  const verdict = state?.verdict;
  const kind = verdict?.verdict;
  const style = BADGE[kind];
  const title = badgeTitle(state, t);
  return { text: style ? style.text : "", color: style ? style.color : null, title };
}

function badgeTitle(state, t) {
  const verdict = state?.verdict;
  const entry = entryOf(verdict);
  switch (verdict?.verdict) {
    case "affected":
      return t("badgeAffected", [entry?.ca_label || "?", certName(verdict)]);
    case "affected_key":
      return t("badgeAffectedKey", [entry?.ca_label || "?"]);
    case "dangerous_responder":
      return t("badgeResponder", [certName(verdict)]);
    case "clean":
      return t("badgeClean");
    case "unknown":
      return t("badgeUnknown", [reasonText(verdict, t)]);
    default:
      if (state?.status === "not_checked") return t("badgeNotChecked");
      if (state?.status === "off") return t("badgeOff");
      return t("extName");
  }
}

/** Why a verdict is unknown, in words. */
export function reasonText(verdict, t) {
  switch (verdict?.unknown_reason) {
    case "not_known":
      return t("reasonNotKnown");
    case "backend_unreachable":
      return t("reasonBackendUnreachable");
    case "backend_error":
      return t("reasonBackendError");
    case "no_chain":
      return t("reasonNoChain");
    case "no_registry":
      return t("reasonNoRegistry");
    default:
      return t("reasonCouldNotFetch");
  }
}

/** An entry's status and date in words ("will be revoked on ...", "revoked since ..."). */
export function statusText(entry, incident, t) {
  const date = entry?.status_date;
  const deadline = incident?.deadline;
  switch (entry?.status) {
    case "to_be_revoked":
      return date ? t("statusToBeRevoked", [date]) : t("statusToBeRevokedNoDate");
    case "distrusted":
      return date ? t("statusDistrusted", [date]) : t("statusDistrustedNoDate");
    case "unknown":
      // No published revocation date for this certificate: say so, never guess.
      return t("statusUnknown");
    case "revoked":
    default:
      if (date) return t("statusRevoked", [date]);
      return deadline ? t("statusRevokedDeadline", [deadline]) : t("statusRevokedNoDate");
  }
}

/** The incident's title: a translation for known incidents, else the registry's title. */
export function incidentTitle(id, incidents, t) {
  const key = `incident_${String(id || "").replace(/[^A-Za-z0-9]/g, "_")}`;
  const translated = t(key);
  if (translated && translated !== key) return translated;
  return incidents?.[id]?.title || id || "";
}

/** Where the lesson lives: absolute URLs as they are, repository paths against the backend. */
export function lessonUrl(lesson, backendUrl) {
  if (!lesson) return null;
  try {
    return new URL(lesson, `${backendUrl.replace(/\/+$/, "")}/`).href;
  } catch {
    return null;
  }
}

/** Which mode is on and what the backend learns in it, in one sentence. */
export function modeText(mode, t) {
  const key = { local: "modeLocal", prefix: "modePrefix", direct: "modeDirect", off: "modeOff" }[mode];
  return key ? t(key) : null;
}

/**
 * The popup's content for a tab.
 * @param {{state: object|null, incidents: object, backendUrl: string, mode: string}} input
 * @param {(key: string, subs?: string[]) => string} t
 * @returns {{kind: string, headline: string, rows: {label: string, value: string, mono?: boolean}[],
 *            visitor: string|null, owner: string|null, lesson: {href: string, text: string}|null,
 *            source: string|null, mode: string|null}}
 */
export function popupView({ state, incidents = {}, backendUrl = "", mode = "local" }, t) {
  const verdict = state?.verdict;
  const kind = verdict?.verdict || (["not_checked", "off"].includes(state?.status) ? state.status : "none");
  const view = {
    kind, headline: "", rows: [], visitor: null, owner: null, lesson: null, source: null, mode: modeText(mode, t),
  };
  if (state?.host) view.rows.push({ label: t("labelSite"), value: state.host });
  const entry = entryOf(verdict);
  const incident = entry ? incidents[entry.incident] : null;
  const addEntryRows = () => {
    view.rows.push({ label: t("labelIntermediate"), value: certName(verdict) });
    const subject = entry.subject || servedCertificate(verdict)?.subject;
    if (subject) view.rows.push({ label: t("labelSubject"), value: subject, mono: true });
    view.rows.push({ label: t("labelFingerprint"), value: formatFingerprint(entry.sha256), mono: true });
    view.rows.push({ label: t("labelCa"), value: entry.ca_label });
    view.rows.push({ label: t("labelIncident"), value: incidentTitle(entry.incident, incidents, t) });
    view.rows.push({ label: t("labelStatus"), value: statusText(entry, incident, t) });
    const href = lessonUrl(incident?.lesson, backendUrl);
    if (href) view.lesson = { href, text: t("lessonLink") };
  };
  switch (kind) {
    case "affected":
      view.headline = t("headlineAffected");
      addEntryRows();
      view.visitor = t("visitorAffected");
      view.owner = entry.reissues && entry.reissues.length
        ? t("ownerSwapIntermediate", [formatFingerprint(entry.reissues[0]).slice(0, 23)])
        : t("ownerReissueLeaf");
      break;
    case "affected_key":
      view.headline = verdict.known_reissue ? t("headlineKnownReissue") : t("headlineAffectedKey");
      addEntryRows();
      view.visitor = t("visitorAffectedKey");
      view.owner = t("ownerCheckServedIntermediate");
      break;
    case "dangerous_responder":
      view.headline = t("headlineResponder");
      if (certName(verdict)) view.rows.push({ label: t("labelCertificate"), value: certName(verdict) });
      view.visitor = t("visitorResponder");
      view.owner = t("ownerResponder");
      break;
    case "clean":
      view.headline = t("headlineClean");
      break;
    case "unknown":
      view.headline = t("headlineUnknown");
      view.rows.push({ label: t("labelWhy"), value: reasonText(verdict, t) });
      break;
    case "not_checked":
      view.headline = t("headlineNotChecked");
      view.visitor = t("notCheckedExplain");
      break;
    case "off":
      view.headline = t("headlineOff");
      break;
    default:
      view.headline = t("headlineNone");
  }
  if (verdict) {
    const source = verdict.source || mode;
    view.source = t(source === "local" ? "sourceLocal" : source === "prefix" ? "sourcePrefix" : "sourceDirect");
  }
  return view;
}
