// The files `regress new ID [--family F]` writes: a real minimal scenario, not a stub. It asserts something
// every current client does (sequential requests with one client share one keep-alive connection, as the
// server counts connections), so it is `fixed` at once, and `reproduced` as soon as its assertion is broken
// (MAX_CONNECTIONS = 0 in judge.ts). Its author then edits three places: scenario.ts (metadata, server
// setup), clients/<family>.py (what the client does; the family folder holds its template), judge.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClientFamily, defaultFamily, family, programExtension, specName } from '../families.ts';

export interface ScaffoldOptions {
  id: string;
  /** How scenario.ts and judge.ts import the kit: `regress/kit`, or a relative path inside regress's checkout. */
  kit: string;
  /** The `--scenarios` argument that finds the new folder, as the README's commands show it ('' for none). */
  folder: string;
  /**
   * Write a package.json with `"type": "module"`: in a project, whose package.json may say commonjs or
   * nothing; not inside regress's checkout, which is a module package already.
   */
  modulePackage: boolean;
  /** The client family the scaffolded program is written for (default: the default family's). */
  family?: string;
}

/** File name → content, in the order they are listed to the user. */
export function scaffoldFiles({ id, kit, folder, modulePackage, family: familyId = defaultFamily().id }: ScaffoldOptions): Record<string, string> {
  const f = family(familyId);
  return {
    'scenario.ts': scenarioTs(id, kit),
    [programPath(f)]: clientPy(id, f),
    'judge.ts': judgeTs(kit),
    'expectations.json': expectationsJson(f),
    'README.md': readme(id, folder, modulePackage, f),
    // Node loads scenario.ts as an ES module whatever the project's own package.json says ("type":
    // "commonjs", or nothing: Node would warn and re-parse).
    ...(modulePackage ? { 'package.json': `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n` } : {}),
  };
}


/** Where a family's client program lives in a scenario folder. */
export const programPath = (f: ClientFamily): string => `clients/${f.contract.program}${programExtension(f)}`;

/** The three places a new scenario's author edits, with what each is for. */
export function placesToEdit(familyId = defaultFamily().id): [file: string, what: string][] {
  return [
    ['scenario.ts', 'metadata (title, upstream issue and fix links) and the server setup: what the fixture does, what the client is told'],
    [programPath(family(familyId)), `what the ${familyId} client program does against the server (the release under test, through its client contract)`],
    ['judge.ts', 'the assertion: fixed when it holds on the wire, reproduced when the client violates it'],
  ];
}

const scenarioTs = (id: string, kit: string): string => `// ${id}: TODO one paragraph on the failure this scenario recreates (the report, what the client does wrong,
// what the server sees). As scaffolded by \`regress new\`, it asserts what every current client does:
// sequential requests with one client share one keep-alive connection, as the server counts connections.
// Edit the three places: this file (metadata, server setup), clients/* (what the client does) and
// judge.ts (the assertion).
import { defineScenario, serveHttp } from '${kit}';
import { judgeReuse } from './judge.ts';

export default defineScenario({
  meta: {
    // The folder name is the id; reports and --scenario use it.
    id: '${id}',
    title: 'Sequential requests with one client reuse one keep-alive connection',
    // 'historic' when released versions fix it (a reproduction is then a regression), 'open-upstream'
    // while the newest release still fails (accept it per release with \`regress run --known\`).
    status: 'historic',
    upstream: {
      issue: 'https://github.com/OWNER/REPO/issues/NUMBER', // TODO: the report this scenario reproduces
      fix: [], // TODO: the pull request(s) that fixed it
    },
    seedClaim: { firstFixed: 'unknown', source: 'TODO: where the claim about the fix comes from' },
    measured: { lastBroken: 'unknown', firstFixed: 'unknown', note: 'TODO: measure with regress bisect' },
    failureSignature: 'more connections than requests that could share one (the client did not reuse its connection)',
  },
  cases: [
    {
      name: 'reuse',
      summary: '3 sequential GETs with one client; the server keeps idle connections 30 s',
      // The client process is killed past this; generous, for a loaded machine.
      timeLimitMs: 30_000,
      // The wait even a fixed release cannot avoid (an idle gap, a slow response): none here.
      unavoidableWaitMs: 0,
      // Servers start per case on 127.0.0.1, port 0; the function's result is the client's input.
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 30_000 } }, ({ app }) => ({ url: app!.url, requests: 3 })),
      judge: judgeReuse,
    },
  ],
});
`;

/**
 * The family's scaffolded client program (families/<id>/new-client.py, or the one of the family whose
 * program it runs), with the scenario id filled in.
 */
const clientPy = (id: string, f: ClientFamily): string => {
  const name = `new-client${programExtension(f)}`;
  const own = join(f.dir, name);
  const template = existsSync(own) ? own : join(family(f.contract.program).dir, name);
  return readFileSync(template, 'utf8').replaceAll('{{ID}}', id);
};

const judgeTs = (kit: string): string => `import { connectionsCarrying, findStep, fixed, ok200, outcomeOf, reproduced, serverSaw, unrecognised } from '${kit}';
import type { JudgeInput, Judgement } from '${kit}';

/**
 * The assertion: the client's sequential requests reach the server on at most this many connections.
 * Set it to 0 to see the scenario fail: every release is then \`reproduced\` and the run exits 1.
 */
export const MAX_CONNECTIONS = 1;

/**
 * fixed: every request got its 200 and the server saw them on at most MAX_CONNECTIONS connections.
 * reproduced: the client opened more connections than that, none of them closed by the server.
 * error (unrecognised): a request failed, or the server closed a connection itself; neither says anything
 * about reuse, and a judge never guesses.
 */
export function judgeReuse({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const count = Number(input.requests);
  const steps = Array.from({ length: count }, (_, i) => findStep(client, \`request-\${i + 1}\`));
  if (!steps.every(ok200)) {
    return unrecognised(\`\${steps.map((s, i) => \`request \${i + 1}: \${outcomeOf(s)}\`).join('; ')}; \${saw}\`);
  }
  const used = connectionsCarrying(app, '/reuse/');
  if (used.length <= MAX_CONNECTIONS) {
    return fixed(\`\${count} sequential requests arrived on \${used.length} connection(s), at most \${MAX_CONNECTIONS} allowed; \${saw}\`);
  }
  if (app?.connections.some((c) => used.includes(c.id) && c.closedBy === 'server')) {
    return unrecognised(\`the server closed a connection between the requests, so a new one was due; \${saw}\`);
  }
  return reproduced(\`\${count} sequential requests arrived on \${used.length} connections, more than the \${MAX_CONNECTIONS} allowed: the client did not reuse its keep-alive connection; \${saw}\`);
}
`;

const expectationsJson = (f: ClientFamily): string =>
  `${JSON.stringify(
    {
      checks: [
        { case: 'reuse', client: specName(f), verdict: 'fixed', why: `the latest ${specName(f)} reuses its keep-alive connection` },
      ],
    },
    null,
    2,
  )}\n`;

const flag = (folder: string): string => (folder ? `--scenarios ${folder} ` : '');

const readme = (id: string, folder: string, modulePackage: boolean, f: ClientFamily): string => `# ${id}

TODO: the report this scenario reproduces (link), in two sentences: what the client did, what it should do.

As scaffolded by \`regress new\`, the scenario asserts something every current ${specName(f)} does, so it runs green
at once: three sequential requests with one client arrive on one keep-alive connection, as the server
counts connections. Replace that with the reported failure.

## Run it

\`\`\`sh
npx regress run ${flag(folder)}--scenario ${id} --client ${specName(f)}      # the latest ${specName(f)}: fixed, exit 0
npx regress run ${flag(folder)}--scenario ${id} --client ${specName(f)}==X
npx regress verify ${flag(folder)}--scenario ${id} --broken ${specName(f)}==X --fixed ${specName(f)}==Y
\`\`\`

(With a \`regress.config.json\` such as \`{"scenarios": ["scenarios"]}\` at the project root, \`--scenarios\` is
not needed.) Set \`MAX_CONNECTIONS\` in judge.ts to 0 and run again: the verdict is \`reproduced\` and the run
exits 1, which is how a broken release shows.

## The three places to edit

| file | what |
|---|---|
| \`scenario.ts\` | metadata (title, upstream issue and fix links, status) and the server setup: \`serveHttp({name: options}, (servers) => input)\` starts fixtures on 127.0.0.1, port 0, and returns the client's JSON input |
| \`${programPath(f)}\` | what the ${f.id} client program does, against the real release under test, through its client contract (\`${f.contract.module}\`); \`ctx.attempt\` records each request as a step. Add \`clients/<family>.py\` for each other family the scenario covers |
| \`judge.ts\` | the assertion: \`fixed\` when it held and the server saw it hold, \`reproduced\` when the client violated it, \`unrecognised\` (an error verdict) when the outcome says nothing about the client |

Also here: \`expectations.json\` (the verdicts you measured, per release: the record of what this scenario
catches)${modulePackage ? " and `package.json` (`\"type\": \"module\"`, so Node loads scenario.ts as an ES module whatever the\nproject's own package.json says)" : ''}. Add \`sentinels.ts\` (\`export default defineSentinels([...])\` from
\`regress/kit\`) to prove with \`regress sentinels\` that the scenario catches its failure patched back into
today's release.
`;
