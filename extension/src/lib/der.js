// Minimal DER reader for X.509 certificates: just what the local matcher needs.
// It reads the SubjectPublicKeyInfo bytes (for the SPKI SHA-256), the extensions
// (basicConstraints cA, extendedKeyUsage, subjectKeyIdentifier, authorityKeyIdentifier)
// and the subject / issuer names for display. Pure JavaScript: runs in browsers and in Node.

/** An error in the DER input (the message says where). */
export class DerError extends Error {}

export const OID_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
export const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_EKU = "2.5.29.37";
const OID_SKI = "2.5.29.14";
const OID_AKI = "2.5.29.35";

// The labels Python's cryptography uses in rfc4514_string; other attributes print as dotted OIDs.
const NAME_LABELS = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};

/**
 * Read one TLV at `offset`.
 * @param {Uint8Array} buf
 * @param {number} offset
 * @returns {{tag: number, start: number, len: number, end: number, header: number}}
 */
export function readTlv(buf, offset) {
  if (offset + 2 > buf.length) throw new DerError(`truncated TLV at ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`);
  let pos = offset + 1;
  let len = buf[pos++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`unsupported length at ${offset}`);
    if (pos + n > buf.length) throw new DerError(`truncated length at ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++];
  }
  const end = pos + len;
  if (end > buf.length) throw new DerError(`TLV at ${offset} overruns its container`);
  return { tag, start: pos, len, end, header: pos - offset };
}

/** The child TLVs of a constructed value. */
export function children(buf, tlv) {
  const out = [];
  let pos = tlv.start;
  while (pos < tlv.end) {
    const child = readTlv(buf, pos);
    if (child.end > tlv.end) throw new DerError(`child at ${pos} overruns its parent`);
    out.push({ ...child, offset: pos });
    pos = child.end;
  }
  return out;
}

/** Dotted string of an OBJECT IDENTIFIER's contents. */
export function decodeOid(bytes) {
  if (bytes.length === 0) throw new DerError("empty OID");
  const parts = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (!(bytes[i] & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join(".");
}

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function slice(buf, tlv) {
  return buf.subarray(tlv.start, tlv.end);
}

function whole(buf, tlv) {
  return buf.subarray(tlv.offset, tlv.end);
}

function decodeString(buf, tlv) {
  const bytes = slice(buf, tlv);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8").decode(bytes);
    case 0x1e: { // BMPString
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
      return s;
    }
    default: // PrintableString, IA5String, TeletexString (read as Latin-1), ...
      return String.fromCharCode(...bytes);
  }
}

/**
 * A Name rendered like RFC 4514 (most specific RDN first, as Python's rfc4514_string does).
 * @param {Uint8Array} buf
 * @param {object} nameTlv
 */
export function renderName(buf, nameTlv) {
  const rdns = children(buf, nameTlv).map((set) =>
    children(buf, set)
      .map((atv) => {
        const [oid, value] = children(buf, atv);
        const dotted = decodeOid(slice(buf, oid));
        const label = NAME_LABELS[dotted] || dotted;
        const text = decodeString(buf, value).replace(/([,+"\\<>;])/g, "\\$1");
        return `${label}=${text}`;
      })
      .join("+"),
  );
  return rdns.reverse().join(",");
}

/**
 * The fields of a certificate the matcher needs.
 * @param {Uint8Array} der
 * @returns {{spki: Uint8Array, subject: string, issuer: string, isCa: boolean,
 *            ekus: string[], ski: string|null, aki: string|null}}
 */
export function parseCertificate(der) {
  const cert = readTlv(der, 0);
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new DerError("not a DER certificate");
  const [tbs] = children(der, { ...cert, offset: 0 });
  if (!tbs || tbs.tag !== 0x30) throw new DerError("no TBSCertificate");
  const fields = children(der, tbs);
  let i = 0;
  if (fields[i] && fields[i].tag === 0xa0) i++; // [0] version
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  if (fields.length < i + 6) throw new DerError("TBSCertificate too short");
  const issuer = fields[i + 2];
  const subject = fields[i + 4];
  const spki = fields[i + 5];
  const out = {
    spki: whole(der, spki),
    subject: renderName(der, subject),
    issuer: renderName(der, issuer),
    isCa: false,
    ekus: [],
    hasEku: false,
    ski: null,
    aki: null,
  };
  const extsWrapper = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (!extsWrapper) return out;
  const [exts] = children(der, extsWrapper);
  for (const ext of children(der, exts)) {
    const parts = children(der, ext);
    const oid = decodeOid(slice(der, parts[0]));
    const value = parts[parts.length - 1];
    if (value.tag !== 0x04) throw new DerError(`extension ${oid} has no OCTET STRING`);
    const inner = readTlv(der, value.start);
    const innerTlv = { ...inner, offset: value.start };
    if (oid === OID_BASIC_CONSTRAINTS) {
      const bc = children(der, innerTlv);
      out.isCa = bc.length > 0 && bc[0].tag === 0x01 && der[bc[0].start] !== 0;
    } else if (oid === OID_EKU) {
      out.hasEku = true;
      out.ekus = children(der, innerTlv).map((o) => decodeOid(slice(der, o)));
    } else if (oid === OID_SKI) {
      out.ski = toHex(slice(der, innerTlv));
    } else if (oid === OID_AKI) {
      const keyId = children(der, innerTlv).find((c) => c.tag === 0x80);
      out.aki = keyId ? toHex(slice(der, keyId)) : null;
    }
  }
  return out;
}

/** Decode base64 (with or without PEM armour and whitespace) to bytes. */
export function fromBase64(text) {
  const body = text.replace(/-----[A-Z0-9 ]+-----/g, "").replace(/\s+/g, "");
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
