// A raw TCP client for wire-level fault tests: it writes bytes and records what came back and how the
// connection ended, on its own clock, with no HTTP library in between. 'end' without an error is the
// server's FIN; an ECONNRESET error is its RST.
import { connect, type Socket } from 'node:net';

export interface WireChunk {
  /** Milliseconds since the connection was made. */
  at: number;
  data: Buffer;
}

export interface WireOutcome {
  chunks: WireChunk[];
  bytes: Buffer;
  /** When the server's FIN arrived ('end'), if it did. */
  finAt?: number;
  /** The socket error, if any (ECONNRESET for an RST). */
  error?: string;
  errorAt?: number;
  /** True when the watch ended with the connection still open. */
  stillOpen: boolean;
  localPort: number;
}

export interface WireConnection {
  socket: Socket;
  localPort: number;
  started: number;
  outcome: WireOutcome;
  /** Resolves when the connection closes or `ms` passes, whichever is first. */
  watch(ms: number): Promise<WireOutcome>;
  /** Resolves once at least `n` bytes have arrived (or the connection ended). */
  bytesAtLeast(n: number, ms?: number): Promise<WireOutcome>;
}

export async function openWire(port: number): Promise<WireConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return watchWire(socket);
}

/** Record what arrives on a connected socket (a node:net socket, or a node:tls one past its handshake). */
export function watchWire(socket: Socket): WireConnection {
  const started = performance.now();
  const since = (): number => performance.now() - started;
  const outcome: WireOutcome = { chunks: [], bytes: Buffer.alloc(0), stillOpen: true, localPort: socket.localPort ?? 0 };
  let closed = false;
  const waiters = new Set<() => void>();
  const poke = (): void => waiters.forEach((w) => w());
  socket.on('data', (data: Buffer) => {
    outcome.chunks.push({ at: since(), data });
    outcome.bytes = Buffer.concat([outcome.bytes, data]);
    poke();
  });
  socket.on('end', () => {
    outcome.finAt = since();
    poke();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    outcome.error = error.code ?? error.message;
    outcome.errorAt = since();
  });
  socket.on('close', () => {
    closed = true;
    outcome.stillOpen = false;
    poke();
  });
  const until = (done: () => boolean, ms: number): Promise<WireOutcome> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(outcome);
      }, ms);
      waiters.add(check);
      check();
    });
  return {
    socket,
    localPort: outcome.localPort,
    started,
    outcome,
    watch: (ms) => until(() => closed, ms),
    bytesAtLeast: (n, ms = 10_000) => until(() => closed || outcome.finAt !== undefined || outcome.bytes.length >= n, ms),
  };
}

export function get(path: string, keepAlive = true): string {
  return `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\n`;
}

/** Offset just past the header block, or -1 while incomplete. */
export function headEnd(bytes: Buffer): number {
  const i = bytes.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
}
