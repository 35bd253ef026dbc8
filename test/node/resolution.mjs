// Where this program's imports come from: the undici and axios it imported (their package.json versions)
// and the follow-redirects axios require()s; and the environment the process was given.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { run } from '@regress/contract';
import 'undici';
import 'axios';

/** The version in the package.json of the package a resolved file belongs to. */
function versionOf(resolvedUrl, name) {
  const path = fileURLToPath(resolvedUrl);
  const root = path.slice(0, path.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
  return { path, version: JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version };
}

await run(async (ctx) => {
  ctx.fact('undici', versionOf(import.meta.resolve('undici'), 'undici'));
  const axios = versionOf(import.meta.resolve('axios'), 'axios');
  ctx.fact('axios', axios);
  // axios's Node build require()s follow-redirects: CommonJS resolution from axios's own folder.
  ctx.fact('followRedirects', createRequire(axios.path).resolve('follow-redirects'));
  ctx.fact('env', Object.keys(process.env).sort());
});
