#!/usr/bin/env node
// Entry point for `npx regress`. In a checkout the harness is TypeScript run by Node's own type stripping
// (Node >= 22.18; npm and npx put the project's Node 24, a devDependency, first on PATH). An installed
// package runs the JavaScript compiled into dist/ (`npm run build`, run by `npm pack`): Node does not strip
// types inside node_modules, and the package ships no TypeScript.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `regress: Node ${process.versions.node} is too old (needs >= 22.18, see "engines"); run it through npx or npm with a newer Node first on PATH\n`,
  );
  process.exit(2);
}
// `regress list | head`: a closed pipe is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
// `npx regress` runs this file as npx's child, and npx does not pass SIGTERM on: a CI runner that
// terminates npx alone would leave the harness running to the end. When the parent goes away (we are
// re-parented), stop as on SIGTERM: clients killed, containers removed, the report kept, exit 130.
const parent = process.ppid;
if (parent > 1) {
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  watch.unref();
}
// Sources win in a checkout even when dist/ exists: a dist/ left by `npm pack` would otherwise run stale code.
const sources = new URL('../harness/cli/main.ts', import.meta.url);
const inCheckout = existsSync(fileURLToPath(sources)) && !fileURLToPath(sources).includes('/node_modules/');
const { main } = await import(inCheckout ? sources.href : new URL('../dist/harness/cli/main.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
