// Fixtures under a hostile neighbour: another local process that holds fixture ports open without sending
// a byte, or floods them with connect-and-close. Closing a fixture stays bounded whatever its sockets are
// doing; owner lookups cost O(1) per connection (the kernel's exact sock_diag lookup, not a /proc table
// read on the fixtures' event loop); and a fixture that was starved makes its case `error`, never a verdict
// on the client. The flood runs in a separate process, bounded in rate, count and time.
import { execa } from 'execa';
import { readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { startH2Fixture } from '../fixtures/h2-server.ts';
import { startHttpFixture } from '../fixtures/http-server.ts';
import { watchLoop } from '../fixtures/loop-lag.ts';
import { diagLookup } from '../fixtures/sock-diag.ts';
import { lookupCost, peerSocketInode, peerSocketInodeFromProc, processOwner } from '../fixtures/socket-owner.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { refused } from '../harness/cli/serve-command.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult, Scenario } from '../harness/types.ts';

const FLOODER = join(import.meta.dirname, 'support', 'flooder.py');


/** A plain TCP connection that never sends a byte, as another local user would hold it. */
async function hold(port: number, bytes?: Buffer): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (bytes) socket.write(bytes);
  return socket;
}

describe('closing a fixture is bounded', () => {
  let certs: CertificateSet;
  beforeAll(async () => {
    certs = await createCertificateSet();
  });
  afterAll(async () => certs?.dispose());

  test('an HTTPS fixture closes at once with a held idle TCP connection and a half-sent ClientHello', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000, tls: { key: certs.trusted.key, cert: certs.trusted.cert } });
    const idle = await hold(server.port);
    // The first bytes of a TLS handshake record, never completed: the handshake waits for the rest.
    const half = await hold(server.port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    await server.close();
    const ms = performance.now() - started;
    console.log(`HTTPS fixture with 2 held connections closed in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(3000);
    expect(await refused(server.port)).toBe(true);
    for (const s of [idle, half]) s.destroy();
  });

  test('an HTTP/2 fixture and a plain HTTP fixture close at once with held connections', async () => {
    const h2 = await startH2Fixture(makeClock(), { tls: { key: certs.trusted.key, cert: certs.trusted.cert }, maxConcurrentStreams: 10 });
    const http = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000 });
    const held = [await hold(h2.port), await hold(http.port)];
    const started = performance.now();
    await Promise.all([h2.close(), http.close()]);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await refused(h2.port)).toBe(true);
    expect(await refused(http.port)).toBe(true);
    for (const s of held) s.destroy();
  });
});

describe('owner lookups: the kernel exact lookup, O(1) per connection', () => {
  test('sock_diag names the same inode as /proc and as our own socket, at a fraction of the cost', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000 });
    try {
      const client = await hold(server.port);
      const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
      const own = Number(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))![1]);
      const peer = { address: '127.0.0.1', port: client.localPort! };
      const local = { address: '127.0.0.1', port: server.port };
      const answer = await diagLookup(peer, local);
      expect(answer, 'the sock_diag helper answers on Linux').toBeTruthy();
      expect(answer!.inode).toBe(own);
      expect(answer!.state).toBe(1); // ESTABLISHED
      expect(await peerSocketInodeFromProc(peer, local)).toBe(own);
      // A socket that does not exist: null, not an error.
      expect(await diagLookup({ address: '127.0.0.1', port: 1 }, local)).toBeNull();

      const time = async (lookup: () => Promise<unknown>, n: number): Promise<number> => {
        const started = performance.now();
        for (let i = 0; i < n; i += 1) await lookup();
        return (performance.now() - started) / n;
      };
      const diagMs = await time(() => peerSocketInode(peer, local), 200);
      const procMs = await time(() => peerSocketInodeFromProc(peer, local), 20);
      console.log(`owner lookup: sock_diag ${diagMs.toFixed(3)} ms, /proc/net/tcp ${procMs.toFixed(3)} ms (mean, with the machine's sockets as they are)`);
      expect(diagMs).toBeLessThan(procMs);
      // Sub-millisecond when idle (0.06-0.7 ms measured); wide enough for a loaded 2-core machine.
      expect(diagMs).toBeLessThan(25);
      client.destroy();
    } finally {
      await server.close();
    }
  });

  /** A 6 s flood at 300/s on an HTTP and an HTTPS fixture admitted to a client holding none of it. */
  async function floodFixtures(): Promise<{ line: string; connected: number; diagCount: number; procCount: number; worstAnswerMs: number; foreign: number; clientConnections: number; unreliable: (string | undefined)[] }> {
    const certs = await createCertificateSet();
    const after: (() => void)[] = [];
    const http = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000 });
    const https = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000, tls: { key: certs.trusted.key, cert: certs.trusted.cert } });
    try {
      // Admitted to a client process that holds none of these sockets (a sleeping child): every flood
      // connection, and the probe requests below, are looked up and must come out foreign.
      const idleClient = execa('sleep', ['30'], { reject: false });
      for (const f of [http, https]) f.admit(processOwner(idleClient.pid!), 'token');
      after.push(() => idleClient.kill());
      lookupCost.reset();
      const loop = watchLoop();
      const flood = execa('python3', [FLOODER, '300', '6'], { reject: false, timeout: 30_000 });
      flood.stdin!.write(`${http.port}\n${https.port}\n`);
      // Meanwhile the fixture answers a request of ours every 100 ms: its worst answer time is the loop's health.
      let worstAnswerMs = 0;
      let answered = 0;
      let flooding = true;
      void flood.finally(() => (flooding = false));
      const probing = (async () => {
        while (flooding) {
          const started = performance.now();
          const status = await fetch(`${http.url}/ping`).then((r) => r.status, () => 0);
          if (status === 200) answered += 1;
          worstAnswerMs = Math.max(worstAnswerMs, performance.now() - started);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const done = await flood;
      await probing;
      await Promise.all([http.settled(), https.settled()]);
      const summary = JSON.parse(done.stdout.trim().split('\n').at(-1)!) as { attempts: number; connected: number; seconds: number };
      const seen = [http.observe(), https.observe()];
      const { diag, proc } = lookupCost;
      const mean = (s: { count: number; totalMs: number }): string => (s.totalMs / Math.max(1, s.count)).toFixed(2);
      return {
        line: `${summary.connected}/${summary.attempts} connections in ${summary.seconds} s; sock_diag lookups ${diag.count} (mean ${mean(diag)} ms, worst ${diag.worstMs.toFixed(1)} ms), /proc lookups ${proc.count} (mean ${mean(proc)} ms, worst ${proc.worstMs.toFixed(1)} ms); fixture loop worst stall ${loop.worst()} ms, worst answer ${worstAnswerMs.toFixed(0)} ms over ${answered} requests`,
        connected: summary.connected,
        diagCount: diag.count,
        procCount: proc.count,
        worstAnswerMs,
        foreign: seen.reduce((n, s) => n + s.foreign.length, 0),
        clientConnections: seen.reduce((n, s) => n + s.connections.length, 0),
        unreliable: seen.map((s) => s.unreliable),
      };
    } finally {
      await Promise.all([http.close(), https.close()]);
      await certs.dispose();
      for (const fn of after) fn();
    }
  }

  test('a connect-and-close flood from another process (300/s for 6 s) stays foreign and keeps the fixture loop responsive', { timeout: 90_000 }, async () => {
    const diag = await floodFixtures();
    console.log(`flood, sock_diag: ${diag.line}`);
    // The same flood with the /proc lookups this replaced, for the record (not asserted: it is the machine's).
    process.env.REGRESS_SOCK_DIAG = '0';
    try {
      console.log(`flood, /proc only: ${(await floodFixtures()).line}`);
    } finally {
      delete process.env.REGRESS_SOCK_DIAG;
    }
    expect(diag.connected).toBeGreaterThan(600);
    expect(diag.diagCount).toBeGreaterThan(300);
    // A lookup the helper misses (its 2 s timeout, on a loaded machine) falls back to /proc: rare, never the rule.
    expect(diag.procCount).toBeLessThan(diag.diagCount / 10);
    // The probe requests carry no client token and are not the admitted client's: foreign as well.
    expect(diag.clientConnections).toBe(0);
    expect(diag.foreign).toBeGreaterThan(600);
    expect(diag.worstAnswerMs).toBeLessThan(2000);
    expect(diag.unreliable).toEqual([undefined, undefined]);
  });
});

describe('a starved fixture makes its case error, never a verdict on the client', () => {
  let cache: EnvironmentCache;
  let scenarios: Scenario[];
  beforeAll(async () => {
    cache = new EnvironmentCache(await findPython());
    scenarios = (await loadScenarios()).filter((s) => s.meta.id === 'pool-limits');
  });

  test('the event loop blocked for 4 s while the client runs: error naming the machine; the control is not', { timeout: 120_000 }, async () => {
    const client = venvTarget(cache, parseClientSpec('httpx==0.28.1'));
    // A real stall of the harness's event loop (a busy wait), 50 ms after the client started.
    const starving = scenarios.map((s) => ({
      ...s,
      cases: s.cases.map((c) => ({
        ...c,
        setup: async (ctx: Parameters<typeof c.setup>[0]) => {
          const fixture = await c.setup(ctx);
          return {
            ...fixture,
            admit: (owner: Parameters<typeof fixture.admit>[0]) => {
              fixture.admit(owner);
              setTimeout(() => {
                const until = performance.now() + 4000;
                while (performance.now() < until);
              }, 50);
            },
          };
        },
      })),
    }));
    const [control] = await runJobs(planJobs(scenarios, [client]), { concurrency: 2 });
    const [starved] = await runJobs(planJobs(starving, [client]), { concurrency: 2 });
    console.log(`control: ${control!.verdict}; starved: ${starved!.verdict}: ${starved!.evidence.reason}`);
    expect(control!.verdict).not.toBe('error');
    expect(starved!.verdict).toBe('error');
    expect(starved!.evidence.reason).toMatch(/starved: its event loop stalled for [\d.]+ s \(the machine, not the client\)/);
  });
});

test('a case whose HTTPS fixture another process holds open (no byte sent) ends in its usual time', { timeout: 120_000 }, async () => {
  const scenarios = (await loadScenarios()).filter((s) => s.meta.id === 'custom-ssl-context');
  const client = venvTarget(new EnvironmentCache(await findPython()), parseClientSpec('httpx==0.28.1'));
  const holders: Socket[] = [];
  const holding = scenarios.map((s) => ({
    ...s,
    cases: s.cases
      .filter((c) => c.name === 'trusted-ca')
      .map((c) => ({
        ...c,
        setup: async (ctx: Parameters<typeof c.setup>[0]) => {
          const fixture = await c.setup(ctx);
          for (const port of fixturePorts(fixture.input)) holders.push(await hold(port));
          return fixture;
        },
      })),
  }));
  try {
    const started = performance.now();
    const [result] = await runJobs(planJobs(holding, [client]), { concurrency: 1 });
    const ms = performance.now() - started;
    console.log(`trusted-ca with its ports held: ${result!.verdict} in ${(ms / 1000).toFixed(1)} s (the case ${(result!.durationMs / 1000).toFixed(1)} s)`);
    expect(holders.length).toBeGreaterThan(0);
    expect(result!.verdict, result!.evidence.reason).toBe('fixed');
    // Without a bounded close it waited for the TLS handshake timeout (120 s) of the held connection.
    expect(ms).toBeLessThan(20_000);
  } finally {
    for (const h of holders) h.destroy();
  }
});

/** Every fixture port a case's input names (its servers and its mark server). */
function fixturePorts(input: unknown): number[] {
  return [...new Set([...JSON.stringify(input).matchAll(/https?:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])))];
}

const verdicts = (results: CaseResult[]): Record<string, string> => Object.fromEntries(results.map((r) => [`${r.scenario}/${r.case}`, r.verdict]).sort());

test('a gate while another process floods and holds the fixture ports gives the quiet verdicts, or error, never another reproduced', { timeout: 300_000 }, async () => {
  const ids = ['slow-server-pool-timeout', 'keepalive-expiry', 'custom-ssl-context', 'pool-limits-h2', 'pool-exhaustion-after-close'];
  const scenarios = (await loadScenarios()).filter((s) => ids.includes(s.meta.id));
  const client = venvTarget(new EnvironmentCache(await findPython()), parseClientSpec('httpx==0.28.1'));
  const quiet = await runJobs(planJobs(scenarios, [client]), { concurrency: 6 });

  // One flooder for the whole gate: each case's ports join it as the case is set up (and get one held
  // connection each); 300 connect-and-close a second over all of them, for at most 60 s.
  const flood = execa('python3', [FLOODER, '300', '60'], { reject: false, timeout: 90_000 });
  const flooded = scenarios.map((s) => ({
    ...s,
    cases: s.cases.map((c) => ({
      ...c,
      setup: async (ctx: Parameters<typeof c.setup>[0]) => {
        const fixture = await c.setup(ctx);
        flood.stdin!.write(fixturePorts(fixture.input).map((p) => `${p}\n`).join(''));
        // The held connection and the first flood connections land before the client starts.
        await new Promise((r) => setTimeout(r, 100));
        return fixture;
      },
    })),
  }));
  const started = performance.now();
  const loud = await runJobs(planJobs(flooded, [client]), { concurrency: 6 });
  const loudMs = performance.now() - started;
  flood.stdin!.end();
  const done = await flood;
  const summary = JSON.parse(done.stdout.trim().split('\n').at(-1)!) as { attempts: number; connected: number; held: number; seconds: number };

  const q = verdicts(quiet);
  const moved = loud.filter((r) => q[`${r.scenario}/${r.case}`] !== r.verdict).map((r) => `${r.scenario}/${r.case}: ${q[`${r.scenario}/${r.case}`]} -> ${r.verdict}: ${r.evidence.reason}`);
  const foreign = loud.reduce((n, r) => n + Object.values(r.evidence.server).reduce((m, s) => m + (s.foreign?.length ?? 0), 0), 0);
  console.log(
    `flooded gate: ${summary.connected}/${summary.attempts} flood connections, ${summary.held} held, over ${summary.seconds} s; ${foreign} foreign connections in the evidence; gate ${(loudMs / 1000).toFixed(1)} s; quiet ${JSON.stringify(q)}; moved: ${moved.length ? moved.join(' | ') : 'none'}`,
  );
  expect(loud.length).toBe(quiet.length);
  expect(summary.held).toBeGreaterThanOrEqual(quiet.length);
  expect(summary.connected).toBeGreaterThan(500);
  // Same verdict, or error (the machine, said so): never a reproduced the quiet gate did not give.
  for (const r of loud) {
    const before = q[`${r.scenario}/${r.case}`];
    if (r.verdict !== before) expect(r.verdict, moved.join('\n')).toBe('error');
  }
});
