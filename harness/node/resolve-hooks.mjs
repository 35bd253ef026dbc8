// The resolve hook register.mjs installs (module.register; it runs on Node's hooks thread).
//
//   @regress/contract  -> the family's contract module (REGRESS_CLIENT_CONTRACT, an absolute path)
//   @regress/core      -> harness/node/regress-core.mjs (the contract every family shares)
//   any other bare specifier imported from OUTSIDE the client environment (the program, the contract, the
//   core) -> resolved as if imported from a file in REGRESS_CLIENT_ENV, so it is the release installed
//   there, never regress's own node_modules (which holds an undici of its own).
//
// Imports made by the installed packages themselves (parent inside REGRESS_CLIENT_ENV) resolve as Node
// resolves them: a package's nested node_modules must keep winning over the environment's top level.
// Builtins (`node:x`, `http`), relative and absolute specifiers, URLs and `#imports` are left alone.
// CommonJS require() inside a package (axios -> follow-redirects) never comes here on the Node releases
// regress runs, and resolves from the package's own folder, inside the environment, anyway.
import { realpathSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { pathToFileURL } from 'node:url';

let settings = {
  clientEnv: process.env.REGRESS_CLIENT_ENV ?? '',
  contract: process.env.REGRESS_CLIENT_CONTRACT ?? '',
  core: new URL('./regress-core.mjs', import.meta.url).href,
};

/** Called once by module.register with its `data`. */
export function initialize(data) {
  if (data && typeof data === 'object') settings = { ...settings, ...Object.fromEntries(Object.entries(data).filter(([, v]) => v)) };
}

let prefix;

/**
 * The environment folder as a URL prefix ending in '/', or '' when none is set. Its real path: Node names
 * the files it loads by their real paths, so a package's own imports are recognised as coming from inside
 * the environment even when the folder is reached through a symbolic link.
 */
function envPrefix() {
  if (prefix !== undefined) return prefix;
  if (!settings.clientEnv) return (prefix = '');
  let dir = settings.clientEnv;
  try {
    dir = realpathSync(dir);
  } catch {
    // a folder that does not exist: resolution will say what is missing
  }
  const href = pathToFileURL(dir).href;
  return (prefix = href.endsWith('/') ? href : `${href}/`);
}

function isBare(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return false;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)) return false; // node:, file:, data:, https: ...
  return !isBuiltin(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@regress/contract') {
    if (!settings.contract) throw new Error('@regress/contract: REGRESS_CLIENT_CONTRACT is not set (the path of the family contract module)');
    return { url: pathToFileURL(settings.contract).href, shortCircuit: true };
  }
  if (specifier === '@regress/core') return { url: settings.core, shortCircuit: true };
  if (!isBare(specifier)) return nextResolve(specifier, context);
  const env = envPrefix();
  if (!env) {
    throw new Error(`cannot import ${specifier}: REGRESS_CLIENT_ENV is not set (the folder whose node_modules holds the client release)`);
  }
  if (context.parentURL?.startsWith(env)) return nextResolve(specifier, context);
  // A file that does not exist is fine as a parent: resolution only looks at its folder and upwards.
  const resolved = await nextResolve(specifier, { ...context, parentURL: `${env}regress-client-program.mjs` });
  // Upwards could reach a node_modules above the environment (regress's own, were the cache inside the
  // checkout): a package the environment lacks is an error, never someone else's copy.
  if (resolved.url.startsWith('file:') && !resolved.url.startsWith(env)) {
    throw Object.assign(new Error(`cannot import ${specifier}: it is not installed in the client environment ${settings.clientEnv} (found only at ${resolved.url})`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return resolved;
}
