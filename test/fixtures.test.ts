// The server half of every verdict must itself be right: connections, requests per connection, peak
// concurrency, and TLS outcomes as a real peer produces them.
import { execa } from 'execa';
import { Agent, request } from 'node:http';
import { afterAll, describe, expect, test } from 'vitest';
import { createCertificateSet } from '../certs/certificate-set.ts';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { startHttpFixture } from '../fixtures/http-server.ts';
import { runInProcessGroup } from '../harness/runtime/process-group.ts';
import { readFileSync, statSync } from 'node:fs';

function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
  } catch {
    return 'gone';
  }
}

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

const certs = await createCertificateSet();
afterAll(() => certs.dispose());

describe('http fixture', () => {
  test('counts requests per connection and peak concurrency', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 10_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    try {
      await Promise.all([get(`${server.url}/slow/a?ms=200`, agent), get(`${server.url}/slow/b?ms=200`, agent)]);
      await get(`${server.url}/c`, agent);
      const seen = server.observe();
      expect(seen.peakConcurrentConnections).toBe(2);
      expect(seen.connections).toHaveLength(2);
      expect(seen.requests.map((r) => r.path).sort()).toEqual(['/c', '/slow/a?ms=200', '/slow/b?ms=200']);
      expect(seen.connections.reduce((n, c) => n + c.requests, 0)).toBe(3);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

describe('never-answering route', () => {
  test('holds the request until the client leaves, and records that it left', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 10_000 });
    try {
      const outcome = await new Promise<string>((resolve) => {
        const req = request(`${server.url}/hang/x`, (res) => resolve(`answered ${res.statusCode}`));
        req.setTimeout(300, () => {
          req.destroy();
          resolve('gave up');
        });
        req.on('error', () => undefined);
        req.end();
      });
      expect(outcome).toBe('gave up');
      await new Promise((r) => setTimeout(r, 100));
      const seen = server.observe();
      expect(seen.requests).toEqual([expect.objectContaining({ path: '/hang/x', aborted: true })]);
      expect(seen.requests[0]!.respondedAt).toBeUndefined();
      expect(seen.connections[0]!.closedAt).toBeDefined();
    } finally {
      await server.close();
    }
  });
});

describe('per-run certificates', () => {
  test('keys are private to the run', () => {
    expect(statSync(certs.trusted.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(certs.dir).mode & 0o077).toBe(0);
  });

  // Python 3.13 turns VERIFY_X509_STRICT on by default; Python 3.11 can turn it on by hand.
  const strictClient = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as raw:
        with ctx.wrap_socket(raw, server_hostname=sys.argv[3]):
            print("ok")
except ssl.SSLCertVerificationError as exc:
    print("refused", exc.verify_message)
`;
  test.for([
    ['trusted', 'localhost', 'ok'],
    ['trusted', '127.0.0.1', 'ok'],
    ['expired', 'localhost', 'refused certificate has expired'],
    ['wrongHost', 'localhost', 'refused Hostname mismatch'],
    ['untrusted', 'localhost', 'refused self-signed certificate'],
  ] as const)('%s leaf for %s under strict X.509 verification: %s', async ([leaf, host, expected]) => {
    const server = await startHttpFixture(makeClock(), {
      keepAliveTimeoutMs: 1000,
      tls: { cert: certs[leaf].cert, key: certs[leaf].key },
    });
    try {
      const { stdout } = await execa('python3', ['-c', strictClient, certs.ca.certPath, String(server.port), host], {
        env: { SSL_CERT_FILE: '', SSL_CERT_DIR: '' },
      });
      expect(stdout).toContain(expected);
      const outcome = server.observe().connections[0]?.tls?.outcome;
      expect(outcome).toBe(expected === 'ok' ? 'established' : 'failed');
    } finally {
      await server.close();
    }
  });
});

describe('client process control', () => {
  test('a hung client is killed with its whole process group at the time limit', async () => {
    const program = 'import subprocess, time; p = subprocess.Popen(["sleep", "30"]); print(p.pid, flush=True); time.sleep(30)';
    const run = await runInProcessGroup('python3', ['-c', program], { input: '', env: { PATH: process.env.PATH! }, cwd: '/', timeLimitMs: 1000 });
    expect(run.timedOut).toBe(true);
    expect(run.durationMs).toBeLessThan(5000);
    const grandchild = Number(run.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    // Gone, or a zombie waiting for whichever process reaps orphans here: either way, not running.
    await new Promise((r) => setTimeout(r, 200));
    expect(processState(grandchild)).toMatch(/^(gone|Z)$/);
  });
});

describe('TLS protocol and cipher', () => {
  // What a judge reads to tell a client that agreed on too weak a protocol: the server's own record of the
  // handshake. The client names its floor (minimum TLSv1 at security level 0, or Python's default).
  const versionClient = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
if sys.argv[3] == "weak":
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            print("ok", tls.version(), tls.cipher()[0])
except ssl.SSLError as exc:
    print("refused", exc.reason)
`;
  test.for([
    ['default', 'TLSv1.2', 'TLSv1.2', 'ok TLSv1.2'],
    ['default', 'TLSv1', 'TLSv1.1', 'refused TLSV1_ALERT_PROTOCOL_VERSION'],
    ['weak', 'TLSv1', 'TLSv1.1', 'ok TLSv1.1'],
  ] as const)('a %s client against a server offering %s to %s: %s', async ([floor, minVersion, maxVersion, expected]) => {
    const server = await startHttpFixture(makeClock(), {
      keepAliveTimeoutMs: 1000,
      tls: { cert: certs.trusted.cert, key: certs.trusted.key, minVersion, maxVersion, ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    try {
      const { stdout } = await execa('python3', ['-c', versionClient, certs.ca.certPath, String(server.port), floor], {
        env: { SSL_CERT_FILE: '', SSL_CERT_DIR: '' },
      });
      expect(stdout).toContain(expected);
      await server.settled();
      const tls = server.observe().connections[0]?.tls;
      if (expected.startsWith('ok')) {
        // The server's record matches what the client says it agreed on, protocol and cipher.
        const [, protocol, cipher] = stdout.trim().split(' ');
        expect(tls).toMatchObject({ outcome: 'established', protocol, cipher });
      } else {
        expect(tls?.outcome).toBe('failed');
        expect(tls?.error).toMatch(/unsupported protocol/);
        expect(tls?.protocol).toBeUndefined();
      }
    } finally {
      await server.close();
    }
  });
});
