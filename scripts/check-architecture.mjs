#!/usr/bin/env node
// The tree's rules (make lint): no import cycle between modules, at any folder level (a folder
// counts as one module among its siblings, its mod.rs as one more), each layer depends only on the
// layers it may (rules and palpluss on nothing, edge on those two, the glue on anything above it),
// crate paths name the item's own module (not a re-export at the crate root), and no source file
// much over 600 lines.
//
//   node scripts/check-architecture.mjs [--root DIR]     (DIR holds src/; default: the repository)
//
// Reads `use` trees and `crate::`/`super::`/`self::` paths in code (comments, strings and char
// literals are skipped), resolves each to the file module that defines it, and reports every
// cycle with one reference per edge (file:line) so it can be cut.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/// What each top-level module may depend on. The crate root (lib.rs) only declares and re-exports.
export const LAYERS = {
  prelude: [],
  rules: [],
  palpluss: [],
  edge: ["rules", "palpluss"],
  js: ["rules", "palpluss", "edge"],
  client: ["rules", "palpluss", "edge"],
  worker: ["rules", "palpluss", "edge"],
};
/// A source file this long is split by concern. Generated files are exempt.
export const MAX_LINES = 650;
const GENERATED = new Set(["src/rules/phone_data.rs"]);

/// Every .rs file under src/, with its module path (`src/a/b.rs` and `src/a/b/mod.rs` are a::b).
function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".rs")) files.push(path);
    }
  };
  walk(join(root, "src"));
  return files.map((path) => {
    const rel = relative(root, path).split(sep).join("/");
    const parts = rel.replace(/^src\//, "").replace(/\.rs$/, "").split("/");
    if (parts.at(-1) === "mod" || (parts.length === 1 && parts[0] === "lib")) parts.pop();
    return { path, rel, module: parts, isMod: rel.endsWith("/mod.rs") };
  });
}

/// The code without comments, string and char literals (same length and lines, blanked).
export function stripNonCode(text) {
  let out = "";
  let i = 0;
  const blank = (s) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if (rest.startsWith("//")) {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (rest.startsWith("/*")) {
      let depth = 0;
      let j = i;
      while (j < text.length) {
        if (text.startsWith("/*", j)) { depth++; j += 2; }
        else if (text.startsWith("*/", j)) { depth--; j += 2; if (depth === 0) break; }
        else j++;
      }
      out += blank(text.slice(i, j));
      i = j;
    } else if ((m = /^b?r(#*)"/.exec(rest)) && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
      const close = '"' + m[1];
      const end = text.indexOf(close, i + m[0].length);
      const stop = end < 0 ? text.length : end + close.length;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (rest.startsWith('"') || (rest.startsWith('b"') && !/[A-Za-z0-9_]/.test(text[i - 1] ?? ""))) {
      let j = i + (rest.startsWith("b") ? 2 : 1);
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += blank(text.slice(i, j + 1));
      i = j + 1;
    } else if ((m = /^b?'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.)|[^\\'])'/u.exec(rest))) {
      out += blank(m[0]);
      i += m[0].length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/// Expands a use tree (`a::{b, c::{d, self}}`) into its paths, each a list of segments.
export function expandUseTree(tree) {
  tree = tree.replace(/\s+as\s+[A-Za-z_][A-Za-z0-9_]*/g, "").replace(/\s+/g, "");
  const paths = [];
  const walk = (prefix, text) => {
    const brace = text.indexOf("{");
    if (brace < 0) {
      const segments = text.split("::").filter(Boolean);
      if (segments.at(-1) === "self") segments.pop();
      if (segments.at(-1) === "*") segments.pop();
      paths.push([...prefix, ...segments]);
      return;
    }
    const head = text.slice(0, brace).split("::").filter(Boolean);
    const inner = text.slice(brace + 1, text.lastIndexOf("}"));
    let depth = 0;
    let start = 0;
    for (let k = 0; k <= inner.length; k++) {
      const c = inner[k];
      if (c === "{") depth++;
      else if (c === "}") depth--;
      else if ((c === "," && depth === 0) || k === inner.length) {
        const part = inner.slice(start, k);
        if (part) walk([...prefix, ...head], part);
        start = k + 1;
      }
    }
  };
  walk([], tree);
  return paths;
}

/// The crate paths a file refers to: `{ segments, line }`, resolved against the (inline) module
/// each reference sits in. Paths are absolute (from the crate root).
export function references(code, fileModule, isModule = () => false) {
  const refs = [];
  const lineOf = (index) => code.slice(0, index).split("\n").length;
  // Inline modules (`mod tests { ... }`) change what super/self mean inside them.
  const scopes = [];
  const inlineMod = /\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/g;
  let m;
  while ((m = inlineMod.exec(code))) {
    let depth = 0;
    let j = m.index + m[0].length - 1;
    for (; j < code.length; j++) {
      if (code[j] === "{") depth++;
      else if (code[j] === "}" && --depth === 0) break;
    }
    scopes.push({ start: m.index, end: j, name: m[1] });
  }
  const moduleAt = (index) => [
    ...fileModule,
    ...scopes.filter((s) => s.start < index && index < s.end).sort((a, b) => a.start - b.start).map((s) => s.name),
  ];
  const resolve = (segments, index) => {
    let base = moduleAt(index);
    const [head, ...rest] = segments;
    if (head === "crate") return rest;
    if (head === "self") return [...base, ...rest];
    if (head === "super") {
      let k = 0;
      while (segments[k] === "super") {
        base = base.slice(0, -1);
        k++;
      }
      return [...base, ...segments.slice(k)];
    }
    // A use path may start at a child module (`pub use client::StkClient;` in a mod.rs).
    if (isModule([...base, head])) return [...base, ...segments];
    return null; // an external crate or a name in scope
  };
  // Visibility restrictions name modules without depending on them.
  const clean = code.replace(/\bpub\s*\(\s*in\s+[^)]*\)/g, (s) => " ".repeat(s.length));
  const useStatement = /\buse\s+([^;]+);/g;
  const covered = [];
  while ((m = useStatement.exec(clean))) {
    covered.push([m.index, m.index + m[0].length]);
    for (const segments of expandUseTree(m[1])) {
      const absolute = resolve(segments, m.index);
      if (absolute) refs.push({ segments: absolute, line: lineOf(m.index) });
    }
  }
  const inlinePath = /(?<![A-Za-z0-9_:])(?:crate|super|self)(?:::(?:super|[A-Za-z_][A-Za-z0-9_]*))+/g;
  while ((m = inlinePath.exec(clean))) {
    if (covered.some(([a, b]) => a <= m.index && m.index < b)) continue;
    const absolute = resolve(m[0].split("::"), m.index);
    if (absolute) refs.push({ segments: absolute, line: lineOf(m.index) });
  }
  return refs;
}

/// Strongly connected components with more than one node (Tarjan).
export function cycles(nodes, edges) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).onStack) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of nodes) if (!info.has(v)) visit(v);
  return found;
}

/// Every problem in the tree under `root`, as text lines (none: the tree keeps the rules).
export function check(root) {
  const files = sourceFiles(root);
  const key = (module) => module.join("::");
  const byModule = new Map(files.map((f) => [key(f.module), f]));
  const problems = [];
  // Each file's dependencies on other file modules, with where they are made.
  const deps = [];
  for (const file of files) {
    const text = readFileSync(file.path, "utf8");
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines > MAX_LINES && !GENERATED.has(file.rel)) {
      problems.push(`${file.rel}: ${lines} lines (at most ${MAX_LINES}): split it by concern`);
    }
    if (file.module.length === 0) continue; // lib.rs: declarations and re-exports only
    for (const ref of references(stripNonCode(text), file.module, (m) => byModule.has(key(m)))) {
      if (ref.segments.length === 0) continue;
      if (!byModule.has(ref.segments[0]) && ref.segments[0] !== "prelude") {
        problems.push(
          `${file.rel}:${ref.line}: crate::${ref.segments.join("::")} goes through a re-export at the crate root; ` +
            `name the item's own module (crate::rules::..., crate::edge::...)`,
        );
        continue;
      }
      let target = ref.segments;
      while (target.length && !byModule.has(key(target))) target = target.slice(0, -1);
      if (!target.length || key(target) === key(file.module)) continue;
      deps.push({ from: file.module, to: target, where: `${file.rel}:${ref.line}` });
    }
  }
  // Layers: a top-level module depends only on the ones it may.
  for (const top of new Set(files.filter((f) => f.module.length).map((f) => f.module[0]))) {
    if (!(top in LAYERS)) problems.push(`crate::${top} is in no layer: add it to LAYERS in scripts/check-architecture.mjs`);
  }
  for (const d of deps) {
    const [from, to] = [d.from[0], d.to[0]];
    if (from === to || !(from in LAYERS)) continue;
    if (!LAYERS[from].includes(to)) {
      problems.push(`${d.where}: ${from} may not depend on ${to} (allowed: ${(LAYERS[from] ?? []).join(", ") || "nothing"})`);
    }
  }
  // Cycles, at every folder level: siblings (files, folders as one, the folder's mod.rs as one).
  const folders = new Set([""]);
  for (const f of files) {
    for (let k = 1; k < f.module.length + (f.isMod ? 1 : 0); k++) folders.add(key(f.module.slice(0, k)));
  }
  for (const folder of [...folders].sort()) {
    const depth = folder === "" ? 0 : folder.split("::").length;
    const inFolder = (m) => key(m.slice(0, depth)) === folder && (depth === 0 || m.length >= depth);
    // The sibling a module stands under at this level; the folder's own mod.rs is "(mod)".
    const sibling = (m) => (m.length === depth ? "(mod)" : m[depth]);
    const edges = new Map();
    const where = new Map();
    for (const d of deps) {
      if (!inFolder(d.from) || !inFolder(d.to)) continue;
      const [a, b] = [sibling(d.from), sibling(d.to)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a).add(b);
      if (!where.has(`${a}>${b}`)) where.set(`${a}>${b}`, d.where);
    }
    const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])]);
    for (const component of cycles([...nodes].sort(), edges)) {
      const inside = new Set(component);
      const links = [];
      for (const a of component) {
        for (const b of edges.get(a) ?? []) if (inside.has(b)) links.push(`${a} -> ${b} (${where.get(`${a}>${b}`)})`);
      }
      problems.push(`import cycle in ${folder ? `crate::${folder}` : "the crate"}: ${component.join(", ")}\n    ${links.join("\n    ")}`);
    }
  }
  return [...new Set(problems)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--root");
  const root = at > 0 ? process.argv[at + 1] : join(fileURLToPath(new URL(".", import.meta.url)), "..");
  const problems = check(root);
  if (problems.length) {
    console.error(`the tree breaks its rules (scripts/check-architecture.mjs):\n- ${problems.join("\n- ")}`);
    process.exit(1);
  }
  console.log("architecture: no import cycles, layers kept, every file within its size");
}
