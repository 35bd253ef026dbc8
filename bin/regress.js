#!/usr/bin/env node
// Entry point for `npx regress`. In a checkout the harness is TypeScript run by Node's own type stripping
// (see "engines"; npm and npx put the project's Node 24, a devDependency, first on PATH). An installed
// package runs the JavaScript compiled into dist/ (`npm run build`, run by `npm pack`): Node does not strip
// types inside node_modules, and the package ships no TypeScript.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// V8's compiled code of the harness's modules (first of all the Node check's semver), kept between runs
// (Node >= 22.1; keyed by each file's content, so an edited file is compiled afresh): it halves the ~0.5 s
// a run spends loading modules before it does anything. In regress's cache folder; NODE_COMPILE_CACHE names another, NODE_DISABLE_COMPILE_CACHE=1
// turns it off. The cache root is the harness's (REGRESS_CACHE_DIR, else $XDG_CACHE_HOME/regress).
try {
  const { enableCompileCache } = await import('node:module');
  const { homedir } = await import('node:os');
  const { resolve } = await import('node:path');
  const cacheRoot = process.env.REGRESS_CACHE_DIR ? resolve(process.env.REGRESS_CACHE_DIR) : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'regress');
  enableCompileCache?.(process.env.NODE_COMPILE_CACHE || join(cacheRoot, 'node-compile-cache'));
} catch {
  // no cache: only slower
}
// The Nodes regress runs on are package.json's "engines", read here rather than restated, so the check and
// its message cannot drift from what npm is told (semver: npm's own range grammar).
const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const satisfies = createRequire(import.meta.url)('semver/functions/satisfies');
if (!satisfies(process.versions.node, engines)) {
  // Started directly (./node_modules/.bin/regress, `node bin/regress.js`) by another Node on PATH: run
  // under the project's own Node (the `node` devDependency) when there is one, rather than asking for npx,
  // whose start-up costs most of a second on every call.
  const own = findOwnNode();
  if (!own) {
    process.stderr.write(
      `regress: Node ${process.versions.node} is not supported (package.json "engines": node ${engines}); run it with such a Node first on PATH, or through npx or npm in a checkout that brings its own\n`,
    );
    process.exit(2);
  }
  const { spawn } = await import('node:child_process');
  // The child gets its own process group, and every signal reaches it through this relay, once. In ours,
  // a terminal's Ctrl-C reached it twice (from the terminal's process group and forwarded from here), and
  // the harness took the second as "quit now": exit 130 with reproductions found, no report. Should this
  // launcher die without relaying (SIGKILL), the harness sees itself re-parented and stops (below).
  const child = spawn(own, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', detached: true, env: { ...process.env, REGRESS_OWN_NODE: '1' } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // Ctrl-Z stops the terminal's foreground group, which the harness is no longer in: stop it with this
  // launcher, and let it go on when the shell continues the launcher (fg, bg).
  process.on('SIGTSTP', () => {
    child.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  });
  process.on('SIGCONT', () => child.kill('SIGCONT'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 2)));
  await new Promise(() => undefined);
}

/** node_modules/.bin/node from the working directory up, then beside this package; never the one running. */
function findOwnNode() {
  if (process.env.REGRESS_OWN_NODE) return null;
  const starts = [process.cwd(), fileURLToPath(new URL('..', import.meta.url))];
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', '.bin', 'node');
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return null;
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
// No process.exit() here: it saved 0.08 s of heap teardown on a loaded machine, but cut work a command left
// running (a sentinel build folder's removal after Ctrl-C); the natural exit also drains stdout into a pipe.
