// Build the two packages from the one source tree (src/):
//   build/extension-chrome/   + build/extension-chrome.zip   (service worker; no Firefox keys)
//   build/extension-firefox/  + build/extension-firefox.zip  (background scripts, webRequestBlocking,
//                                                             browser_specific_settings)
// Usage: node extension/build.mjs [--out DIR]   (default: <repo>/build). No dependencies:
// the zip is written here (deflate from node:zlib, fixed timestamps: reproducible bytes).

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(HERE, "src");

/** The manifest for one browser. */
export function manifestFor(browser, source) {
  const m = structuredClone(source);
  if (browser === "chrome") {
    delete m.browser_specific_settings;
    m.background = { service_worker: m.background.service_worker, type: m.background.type };
    m.permissions = m.permissions.filter((p) => p !== "webRequest" && p !== "webRequestBlocking");
  } else if (browser === "firefox") {
    m.background = { scripts: m.background.scripts, type: m.background.type };
  } else {
    throw new Error(`unknown browser ${browser}`);
  }
  return m;
}

function files(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => {
      const full = path.join(dir, d.name);
      return d.isDirectory() ? files(full, base) : [path.relative(base, full).split(path.sep).join("/")];
    })
    .sort();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of {name: Buffer} (deflated, DOS time 1980-01-01 00:00). */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, "utf-8");
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const centralBuf = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBuf, end]);
}

/** Write build/extension-<browser>/ and build/extension-<browser>.zip; returns their paths. */
export function build(outDir) {
  const source = JSON.parse(readFileSync(path.join(SRC, "manifest.json"), "utf-8"));
  const written = [];
  for (const browser of ["chrome", "firefox"]) {
    const dir = path.join(outDir, `extension-${browser}`);
    rmSync(dir, { recursive: true, force: true });
    const entries = [];
    for (const rel of files(SRC)) {
      const data = rel === "manifest.json"
        ? Buffer.from(JSON.stringify(manifestFor(browser, source), null, 2) + "\n")
        : readFileSync(path.join(SRC, rel));
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), data);
      entries.push([rel, data]);
    }
    const zipPath = path.join(outDir, `extension-${browser}.zip`);
    writeFileSync(zipPath, zip(entries));
    written.push({ browser, dir, zip: zipPath, files: entries.length, bytes: statSync(zipPath).size });
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--out");
  const out = path.resolve(i > 0 ? process.argv[i + 1] : path.join(HERE, "..", "build"));
  for (const w of build(out)) console.log(`${w.zip}: ${w.files} files, ${w.bytes} bytes`);
}
