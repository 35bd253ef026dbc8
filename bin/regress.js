#!/usr/bin/env node
// Entry point for `npx regress`. The harness is TypeScript run by Node's own type stripping (Node >= 22.18);
// npm and npx put the project's Node 24 (devDependency `node`) first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `regress: Node ${process.versions.node} is too old (needs >= 22.18); run it through npx or npm so the project's Node 24 is used\n`,
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
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
