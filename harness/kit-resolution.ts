// A project's scenario.ts (in the project's repository) imports `regress/kit`. Installed, Node would find
// it through node_modules and package.json `exports`; run by a checkout of regress, or by a regress other
// than the one in the project's node_modules, it would find nothing or another copy, whose fixtures and
// types are not the ones this harness runs. So once a command loads a project's scenarios, `regress/kit`
// resolves to this regress's own kit: kit.ts beside this file in a checkout, kit.js in the compiled package.
import { registerHooks } from 'node:module';

const SPECIFIER = 'regress/kit';
// This file's own extension names the kit beside it: .ts (checkout, types stripped) or .js (dist/).
const KIT_URL = new URL(`./kit${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url).href;

let registered = false;

export function resolveKitToThisRegress(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === SPECIFIER) return { url: KIT_URL, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}
