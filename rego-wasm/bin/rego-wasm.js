#!/usr/bin/env node
'use strict';
// The `rego-wasm` command. An installed package runs the compiled dist/; in
// the source repository (src/ present, dist/ not shipped there) it runs the
// TypeScript sources through tsx, so `npm run policy:*` needs no build step.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
let cli;
if (existsSync(source)) {
  require('tsx/cjs');
  cli = require(source);
} else {
  cli = require('../dist/cli/main.js');
}
Promise.resolve(cli.runCli(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
