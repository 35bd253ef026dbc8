// Loaded by `node --import <repo>/harness/node/register.mjs <program.mjs>` before a client program: it
// installs the resolve hook (resolve-hooks.mjs) that decides where a program's imports come from.
//
// Why a hook: a client program lives inside regress's checkout (scenarios/<id>/clients/undici.mjs), so Node's
// own resolution would find `undici` in regress's node_modules (the harness depends on an undici of its own)
// instead of the release under test, which the harness installed into REGRESS_CLIENT_ENV/node_modules.
//
// module.register exists from Node 18.19 and 20.6; its `data` reaches the hook's initialize() on the hooks
// thread, so the hook does not depend on how a release shares process.env with that thread.
import { register } from 'node:module';

register('./resolve-hooks.mjs', import.meta.url, {
  data: {
    clientEnv: process.env.REGRESS_CLIENT_ENV ?? '',
    contract: process.env.REGRESS_CLIENT_CONTRACT ?? '',
    core: new URL('./regress-core.mjs', import.meta.url).href,
  },
});

// The client under test is imported once here, before the program's own static imports: a release that
// cannot load on this Node is reported as `crashed`, phase import (regress-core.mjs preflight).
const core = await import('@regress/core');
await core.preflight();
