#!/usr/bin/env node
// Gives every import of a wasm-bindgen web build a short name, in the .wasm and in its glue alike:
// `__wbg_instanceof_HtmlInputElement_28751c98d77a5a65` becomes `_1f`. wasm-bindgen names each
// import after the JS it calls plus a hash; those names are written twice (the .wasm's import
// section, the glue's imports object), and the hashes do not compress. Nothing else changes: the
// module name, the exports, every function.
//
//   node scripts/short-imports.mjs pkg/checkout/web/palpluss_stk_bg.wasm pkg/checkout/web/palpluss_stk.js
//
// Each import must be found once as a key of the glue's imports object (as wasm-bindgen writes it,
// or minified), or nothing is written and the build stops.
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) {
  console.error("usage: short-imports.mjs <module.wasm> <glue.js>");
  process.exit(2);
}

function readU32(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined || shift > 28) throw new Error("short-imports: a malformed LEB128 number");
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value >>> 0, at];
    shift += 7;
  }
}

function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function readName(bytes, at) {
  const [length, start] = readU32(bytes, at);
  return [Buffer.from(bytes.subarray(start, start + length)).toString("utf8"), start + length];
}

/** Where an import's description ends (function, table, memory, global or tag). */
function skipDescription(bytes, at) {
  const kind = bytes[at++];
  const limits = (from) => {
    const flags = bytes[from++];
    let [, next] = readU32(bytes, from);
    if (flags & 1) [, next] = readU32(bytes, next);
    return next;
  };
  switch (kind) {
    case 0: return readU32(bytes, at)[1]; // function: its type
    case 1: return limits(at + 1); // table: element type, limits
    case 2: return limits(at); // memory: limits
    case 3: return at + 2; // global: value type, mutability
    case 4: return readU32(bytes, at + 1)[1]; // tag: attribute, type
    default: throw new Error(`short-imports: an import of unknown kind ${kind}`);
  }
}

const wasm = readFileSync(wasmPath);
if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`short-imports: ${wasmPath} is not a wasm module`);
let glue = readFileSync(gluePath, "utf8");

const out = [wasm.subarray(0, 8)];
const renamed = [];
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, payload] = readU32(wasm, at + 1);
  const end = payload + size;
  if (id !== 2) {
    out.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  const [count, first] = readU32(wasm, payload);
  const section = [...u32(count)];
  let entry = first;
  for (let i = 0; i < count; i++) {
    const [module, afterModule] = readName(wasm, entry);
    const [field, afterField] = readName(wasm, afterModule);
    const afterDescription = skipDescription(wasm, afterField);
    const short = `_${i.toString(36)}`;
    renamed.push([field, short]);
    const moduleBytes = Buffer.from(module, "utf8");
    section.push(...u32(moduleBytes.length), ...moduleBytes, ...u32(short.length), ...Buffer.from(short, "utf8"));
    section.push(...wasm.subarray(afterField, afterDescription));
    entry = afterDescription;
  }
  if (entry !== end) throw new Error("short-imports: the import section did not end where its size said");
  out.push(Buffer.from([2, ...u32(section.length)]), Buffer.from(section));
  at = end;
}

for (const [field, short] of renamed) {
  // A key of the imports object: `name:` at the start of a line (as wasm-bindgen writes it) or
  // after `{` or `,` (minified, as worker-build bundles it).
  const key = new RegExp(`(?<=(?:^|[{,])\\s*)${field.replace(/[$]/g, "\\$&")}(?=\\s*:)`, "gm");
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) throw new Error(`short-imports: ${field} is a key of the glue's imports ${found} times, not once`);
  glue = glue.replace(key, short);
}

writeFileSync(wasmPath, Buffer.concat(out));
writeFileSync(gluePath, glue);
console.log(`short-imports: ${renamed.length} imports renamed in ${wasmPath}`);
