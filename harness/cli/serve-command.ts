// `regress serve`: the fault fixtures on 127.0.0.1 for reproducing an issue by hand. The user picks faults
// and a TLS variant on the command line, points their own script at the printed URL, and watches each
// connection live (open, TLS outcome, request, fault applied, close and by whom) on the fixture clock.
// Ctrl-C (SIGINT) or SIGTERM, or --duration, stops it: a summary of what the server saw, the per-run
// certificates removed, and a check that nothing listens on the port any more. Exit 130 on Ctrl-C or
// SIGTERM (an interrupt, as every command), 0 at the end of --duration, 2 on bad input (one line) or when
// the server itself failed (the summary and the cleanup still run first). Closing the server is bounded
// (fixtures/bounded-close.ts): a connection someone holds open without a byte cannot keep the keys on disk.
import { Command, Option } from 'commander';
import { connect } from 'node:net';
import { type CertificateSet, createCertificateSet } from '../../certs/certificate-set.ts';
import { type ConnectionRecord, type FixtureEvent, makeClock, type ServerObservations } from '../../fixtures/connection-tracker.ts';
import { FaultSyntaxError, parseRouteOption, parseTlsFault, ROUTE_FAULT_SYNTAX } from '../../fixtures/faults/parse.ts';
import { type ConnectionFault, type FaultPlan, idleClose, type RouteFault } from '../../fixtures/faults/vocabulary.ts';
import { startH2Fixture } from '../../fixtures/h2-server.ts';
import { startHttpFixture } from '../../fixtures/http-server.ts';
import { BadInput } from '../session.ts';
import { collect } from './common.ts';
import { parseDuration } from './duration.ts';

const TLS_VARIANTS = ['trusted', 'expired', 'wrong-host', 'self-signed'] as const;
type TlsVariant = (typeof TLS_VARIANTS)[number];

export interface ServeOptions {
  route?: string[];
  idleClose?: string;
  keepAlive?: string;
  tls?: string;
  tlsFault?: string;
  http2?: boolean;
  port?: string;
  duration?: string;
}

interface ServePlan {
  routes: Record<string, RouteFault>;
  connection: ConnectionFault[];
  tls: TlsVariant | null;
  http2: boolean;
  port: number;
  keepAliveMs: number;
  durationMs: number | null;
}

const HELP = `
Faults for --route PATH=FAULT (repeatable; PATH is a prefix: /slow matches /slow, /slow/1, /slow?x=1):
${ROUTE_FAULT_SYNTAX.map(([syntax, what]) => `  ${syntax.padEnd(31)} ${what}`).join('\n')}
Every other path answers 200 at once (and the fixture's own routes work: /slow/<x>?ms=N, /hang/<x>).
Durations carry a unit: 250ms, 10s, 1.5s, 2m.

Connection faults:
  --idle-close DUR   the server closes (FIN) a keep-alive connection exactly DUR after its last response
  --tls-fault F      refuse (RST on the ClientHello), refuse-fin (FIN on it) or stall (never answer it)

TLS (--tls, --http2): keys are made for this run only; the CA file to trust is printed and removed on exit.
  trusted      a certificate for 127.0.0.1 and localhost, signed by the run's CA
  expired      the same, expired yesterday          wrong-host   signed by the CA, for another host name
  self-signed  not signed by the run's CA

Examples:
  npx regress serve --route '/slow=delay:10s'                      # httpx #1171's slow server
  npx regress serve --route '/api=fail-first:2:503' --idle-close 5s
  npx regress serve --http2 --route '/r=h2-reset:REFUSED_STREAM'
  npx regress serve --tls expired
Ctrl-C stops it with a summary of what the server saw (exit 130; 0 at the end of --duration); bad syntax is
one line and exit 2.
`;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start fault fixtures on 127.0.0.1 and log every connection live, for reproducing an issue by hand with your own script')
    .addOption(new Option('--route <path=fault>', "a fault on a path prefix, e.g. '/slow=delay:10s' (repeatable)").argParser(collect))
    .option('--idle-close <duration>', 'close an idle keep-alive connection exactly this long after its last response')
    .option('--keep-alive <duration>', "without --idle-close: Node's keep-alive timeout (closes about 1 s later than this)", '60s')
    .addOption(new Option('--tls <variant>', 'serve HTTPS with this certificate').choices([...TLS_VARIANTS]))
    .option('--tls-fault <fault>', 'refuse or stall the TLS handshake: refuse, refuse-fin, stall (implies --tls trusted)')
    .option('--http2', 'serve HTTP/2 over TLS (ALPN h2 only; implies --tls trusted)')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)')
    .option('--duration <duration>', 'stop by itself after this long (for scripts and CI)')
    .addHelpText('after', HELP)
    .action(async (options: ServeOptions) => {
      process.exitCode = await serve(options);
    });
}

function plan(options: ServeOptions): ServePlan {
  try {
    const routes: Record<string, RouteFault> = {};
    for (const text of options.route ?? []) {
      const [path, fault] = parseRouteOption(text);
      if (routes[path]) throw new FaultSyntaxError(`--route ${path} is given twice`);
      routes[path] = fault;
    }
    const connection: ConnectionFault[] = [];
    if (options.idleClose !== undefined) connection.push(idleClose(parseDuration('--idle-close', options.idleClose)));
    if (options.tlsFault !== undefined) connection.push(parseTlsFault(options.tlsFault));
    const http2 = Boolean(options.http2);
    const tls = (options.tls as TlsVariant | undefined) ?? (http2 || options.tlsFault ? 'trusted' : null);
    if (!/^\d+$/.test(options.port ?? '0') || Number(options.port) > 65535) throw new FaultSyntaxError(`bad --port '${options.port}'`);
    for (const [path, fault] of Object.entries(routes)) {
      if (http2 && (fault.kind === 'close-after-bytes' || fault.kind === 'reset')) throw new FaultSyntaxError(`--route ${path}: ${fault.kind} is an HTTP/1.1 fault; with --http2 use h2-reset`);
      if (!http2 && fault.kind === 'h2-reset') throw new FaultSyntaxError(`--route ${path}: h2-reset needs --http2`);
    }
    if (http2 && options.idleClose !== undefined) throw new FaultSyntaxError('--idle-close is an HTTP/1.1 fault; not available with --http2');
    return {
      routes,
      connection,
      tls,
      http2,
      port: Number(options.port ?? 0),
      keepAliveMs: parseDuration('--keep-alive', options.keepAlive ?? '60s'),
      durationMs: options.duration !== undefined ? parseDuration('--duration', options.duration) : null,
    };
  } catch (error) {
    if (error instanceof FaultSyntaxError) throw new BadInput(error.message);
    throw error;
  }
}

const stamp = (ms: number): string => `[${(ms / 1000).toFixed(3).padStart(9)} s]`;

function describeClose(by: ConnectionRecord['closedBy']): string {
  return by === 'client' ? 'closed by the client (FIN)' : by === 'client-reset' ? 'reset by the client (RST)' : 'closed by the server';
}

function logLine(event: FixtureEvent): string {
  const conn = `conn ${event.connection}`;
  switch (event.type) {
    case 'open':
      return `${stamp(event.at)} ${conn} open (client port ${event.remotePort})`;
    case 'tls':
      return `${stamp(event.at)} ${conn} TLS ${event.outcome}${event.detail ? `: ${event.detail}` : ''}`;
    case 'request':
      return `${stamp(event.at)} ${conn} ${event.method} ${event.path}`;
    case 'fault':
      return `${stamp(event.at)} ${conn} fault: ${event.fault}${event.request ? ` (${event.request})` : ''}`;
    case 'close':
      // The server's close is its FIN; the socket closes only when the client answers it.
      return `${stamp(event.at)} ${conn} ${describeClose(event.closedBy)}${event.serverFinAt !== undefined ? ` (its FIN at ${(event.serverFinAt / 1000).toFixed(3)} s)` : ''} after ${event.requests} request(s)`;
  }
}

function summary(seen: ServerObservations, at: number): string {
  const c = seen.connections;
  const lines = [
    `summary at ${(at / 1000).toFixed(3)} s: ${c.length} connection(s), peak ${seen.peakConcurrentConnections} open at once, ${seen.requests.length} request(s), ${seen.faults.length} fault(s) applied`,
  ];
  for (const conn of c) {
    // A connection the server closed ends at the server's FIN, not when the client got round to answering it.
    const end = conn.closedBy === 'server' ? (conn.serverFinAt ?? conn.closedAt) : conn.closedAt;
    const span = `${(conn.openedAt / 1000).toFixed(3)}-${end !== undefined ? `${(end / 1000).toFixed(3)} s` : 'still open at stop'}`;
    const close = conn.closedBy ? `, ${describeClose(conn.closedBy)}` : '';
    const tls = conn.tls ? `, TLS ${conn.tls.outcome}${conn.tls.error ? ` (${conn.tls.error})` : ''}` : '';
    const faults = seen.faults.filter((f) => f.connection === conn.id).map((f) => f.kind);
    lines.push(
      `  conn ${conn.id}: ${span}${close}${tls}; ${conn.requests} request(s)${conn.paths.length ? ` ${conn.paths.join(' ')}` : ''}${faults.length ? `; faults: ${faults.join(', ')}` : ''}`,
    );
  }
  return lines.join('\n');
}

function snippet(url: string, path: string, ca: string | null, http2: boolean): string {
  const args = [...(ca ? [`verify=${JSON.stringify(ca)}`] : []), ...(http2 ? ['http2=True'] : [])].join(', ');
  return [
    `    import httpx${http2 ? '  # HTTP/2 needs: pip install "httpx[http2]"' : ''}`,
    `    with httpx.Client(${args}) as client:`,
    `        r = client.get(${JSON.stringify(url + path)})`,
    '        print(r.status_code, r.http_version, r.text)',
  ].join('\n');
}

/** True once nothing accepts connections on the port (what "leaves no listener" means). */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

export async function serve(options: ServeOptions): Promise<number> {
  const p = plan(options);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const clock = makeClock();
  let certs: CertificateSet | null = null;
  const faults: FaultPlan = { routes: p.routes, connection: p.connection };
  const onEvent = (event: FixtureEvent): void => out(logLine(event));
  let server: { url: string; port: number; observe(): ServerObservations; close(): Promise<void> };
  try {
    if (p.tls) certs = await createCertificateSet();
    const leaf = certs && p.tls ? { trusted: certs.trusted, expired: certs.expired, 'wrong-host': certs.wrongHost, 'self-signed': certs.untrusted }[p.tls] : null;
    server = p.http2
      ? await startH2Fixture(clock, { tls: { key: leaf!.key, cert: leaf!.cert }, maxConcurrentStreams: 100, maxDelayMs: 3_600_000, faults, onEvent, port: p.port })
      : await startHttpFixture(clock, {
          keepAliveTimeoutMs: p.keepAliveMs,
          maxDelayMs: 3_600_000,
          faults,
          onEvent,
          port: p.port,
          ...(leaf ? { tls: { key: leaf.key, cert: leaf.cert } } : {}),
        });
  } catch (error) {
    await certs?.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new BadInput(`cannot listen on 127.0.0.1:${p.port}: ${code}`);
    throw error;
  }

  const protocol = p.http2 ? 'HTTP/2 over TLS' : p.tls ? 'HTTP/1.1 over TLS' : 'HTTP/1.1';
  out(`regress serve: ${server.url}  (${protocol}${p.tls ? `, certificate: ${p.tls}` : ''}; 127.0.0.1 only)`);
  for (const [path, fault] of Object.entries(p.routes)) out(`  route ${path}: ${fault.explain()}`);
  for (const fault of p.connection) out(`  every connection: ${fault.explain()}`);
  if (!p.connection.some((f) => f.kind === 'idle-close') && !p.http2) out(`  idle keep-alive connections: Node's keep-alive timeout ${p.keepAliveMs / 1000} s (+ about 1 s)`);
  out('  every other path answers 200 at once');
  if (certs) out(`CA file to trust: ${certs.ca.certPath}${p.tls === 'self-signed' ? ' (the server certificate is self-signed: verification with it fails, as intended)' : ''}`);
  const firstPath = Object.keys(p.routes)[0] ?? '/';
  out(`Python (httpx):\n${snippet(server.url, firstPath, certs?.ca.certPath ?? null, p.http2)}`);
  out(`${p.durationMs !== null ? `stops after ${p.durationMs / 1000} s or on Ctrl-C` : 'Ctrl-C stops it'}; events on the fixture clock:`);

  let keepAlive: NodeJS.Timeout | undefined;
  const signals: [NodeJS.Signals, () => void][] = [];
  let failure: Error | undefined;
  let onFailure: ((error: Error) => void) | undefined;
  const reason = await new Promise<string>((resolve) => {
    // A failure inside the server (a fault that throws) must not end the process with the keys on disk and
    // no summary: it stops serve as a signal would, and the exit says the harness failed.
    onFailure = (error: Error): void => {
      failure ??= error;
      resolve('failure');
    };
    process.on('uncaughtException', onFailure);
    // `on`, not `once`: npx forwards the terminal's SIGINT, so one Ctrl-C can arrive twice; a second one
    // during the shutdown must not kill the process before the summary.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => resolve(signal);
      signals.push([signal, handler]);
      process.on(signal, handler);
    }
    if (p.durationMs !== null) keepAlive = setTimeout(() => resolve('duration'), p.durationMs);
  });
  clearTimeout(keepAlive);
  const at = clock();
  // What the client did, before our own shutdown closes what it left open.
  const seen = server.observe();
  if (failure) process.stderr.write(`regress: serve failed: ${failure.message}\n`);
  out(`stopping (${reason === 'duration' ? `--duration ${p.durationMs! / 1000} s` : reason === 'failure' ? `the server failed: ${failure?.message}` : reason})`);
  await server.close();
  await certs?.dispose();
  out(summary(seen, at));
  const open = seen.connections.filter((c) => c.closedAt === undefined).length;
  if (open) out(`  ${open} connection(s) still open at stop were closed by the server`);
  const gone = await refused(server.port);
  out(gone ? `stopped: 127.0.0.1:${server.port} refuses connections${certs ? '; certificates removed' : ''}` : `warning: 127.0.0.1:${server.port} still accepts connections`);
  for (const [signal, handler] of signals) process.off(signal, handler);
  if (onFailure) process.off('uncaughtException', onFailure);
  if (!gone || reason === 'failure') return 2;
  return reason === 'duration' ? 0 : 130;
}
