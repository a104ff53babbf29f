// The tree's rules (scripts/check-architecture.mjs, run by make lint): the real tree keeps them,
// and each rule fails on a small tree that breaks it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { check, expandUseTree, stripNonCode } from "../../scripts/check-architecture.mjs";
import { root } from "./consumer.mjs";

/// A crate of the given files (path under src/ -> text), written to a fresh folder.
function tree(files) {
  const dir = mkdtempSync(join(tmpdir(), "arch-"));
  for (const [path, text] of Object.entries({ "lib.rs": "pub mod rules;\npub mod edge;\n", ...files })) {
    mkdirSync(dirname(join(dir, "src", path)), { recursive: true });
    writeFileSync(join(dir, "src", path), text);
  }
  return dir;
}

test("the repository's tree keeps every rule", () => {
  assert.deepEqual(check(root), []);
});

test("a cycle between two files is found, with where each side imports the other", () => {
  const problems = check(
    tree({
      "rules/mod.rs": "pub mod phone;\npub mod stk;\n",
      "rules/phone.rs": "use crate::rules::stk::join;\n",
      "rules/stk.rs": "use super::phone::{self, PhoneNumber};\n",
      "edge/mod.rs": "",
    }),
  );
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /import cycle in crate::rules: phone, stk/);
  assert.match(problems[0], /phone -> stk \(src\/rules\/phone\.rs:1\)/);
  assert.match(problems[0], /stk -> phone \(src\/rules\/stk\.rs:1\)/);
});

test("a folder counts as one module: a cycle through a sub-folder is found", () => {
  const problems = check(
    tree({
      "rules/mod.rs": "pub mod phone;\npub mod stk;\n",
      "rules/phone.rs": "fn f() { crate::rules::stk::types::Limits::default(); }\n",
      "rules/stk/mod.rs": "pub mod types;\npub mod check;\n",
      "rules/stk/types.rs": "",
      "rules/stk/check.rs": "use crate::rules::phone::PhoneNumber;\n",
      "edge/mod.rs": "",
    }),
  );
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /import cycle in crate::rules: phone, stk/);
});

test("a mod.rs that re-exports its children must not hold what they import", () => {
  const problems = check(
    tree({
      "rules/mod.rs": "mod client;\npub use client::Client;\npub(crate) fn set() {}\n",
      "rules/client.rs": "use super::set;\n",
      "edge/mod.rs": "",
    }),
  );
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /import cycle in crate::rules: \(mod\), client/);
});

test("layers: the rules depend on nothing, the edge on the rules; paths name the item's own module", () => {
  const problems = check(
    tree({
      "rules/mod.rs": "pub mod phone;\n",
      "rules/phone.rs": "use crate::edge::config::Config;\n",
      "edge/mod.rs": "pub mod config;\n",
      "edge/config.rs": "use crate::PhoneNumber;\nuse crate::prelude::*;\n",
      "extra.rs": "",
    }),
  );
  assert.deepEqual(problems.sort(), [
    "crate::extra is in no layer: add it to LAYERS in scripts/check-architecture.mjs",
    "src/edge/config.rs:1: crate::PhoneNumber goes through a re-export at the crate root; name the item's own module (crate::rules::..., crate::edge::...)",
    "src/rules/phone.rs:1: rules may not depend on edge (allowed: nothing)",
  ]);
});

test("comments, strings and inline test modules do not count; super inside them does", () => {
  const problems = check(
    tree({
      "rules/mod.rs": "pub mod phone;\npub mod stk;\n",
      "rules/phone.rs": [
        "// use crate::rules::stk::x;",
        "/* crate::rules::stk::y */",
        'const S: &str = "crate::rules::stk::z";',
        "const R: &str = r#\"use crate::rules::stk::w;\"#;",
        "const C: char = '\"';",
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::rules::stk::Limits;\n}",
      ].join("\n"),
      "rules/stk.rs": "use super::phone::PhoneNumber;\n",
      "edge/mod.rs": "",
    }),
  );
  // The test module's import of stk is real (phone -> stk), so the cycle stands; nothing else.
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /phone -> stk \(src\/rules\/phone\.rs:9\)/);
});

test("a file far over 600 lines is reported", () => {
  const problems = check(tree({ "rules/mod.rs": "", "edge/mod.rs": "fn f() {}\n".repeat(651) }));
  assert.deepEqual(problems, ["src/edge/mod.rs: 651 lines (at most 650): split it by concern"]);
});

test("use trees expand to one path each; aliases and self keep their module", () => {
  assert.deepEqual(expandUseTree("crate::rules::{phone::{self, PhoneNumber as P}, stk::*, text}"), [
    ["crate", "rules", "phone"],
    ["crate", "rules", "phone", "PhoneNumber"],
    ["crate", "rules", "stk"],
    ["crate", "rules", "text"],
  ]);
  assert.equal(stripNonCode('a "b//c" d // e\nf').replace(/\s+/g, " "), "a d f");
});
