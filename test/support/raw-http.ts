// HTTP/1.1 read by hand off a raw socket, for the fixtures' wire tests: no HTTP client library in between.
import { connect, type Socket } from 'node:net';
import { headEnd, type WireConnection } from './raw-client.ts';

export interface RawResponse {
  status: number;
  /** The status line and header block, latin1. */
  head: string;
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Every header line, as sent. */
  headerLines: [string, string][];
  body: Buffer;
  /** Offset in the connection's bytes just past this response. */
  end: number;
}

export function parseHead(head: string): Pick<RawResponse, 'status' | 'headers' | 'headerLines'> {
  const [statusLine, ...lines] = head.split('\r\n').filter(Boolean);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? NaN);
  const headerLines = lines.map((l): [string, string] => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of headerLines) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return { status, headers, headerLines };
}

/** The response starting at byte `from` of the connection, once its head and Content-Length body are in. */
export async function readResponse(wire: WireConnection, from = 0, ms = 5000): Promise<RawResponse> {
  const deadline = performance.now() + ms;
  for (;;) {
    const bytes = wire.outcome.bytes.subarray(from);
    const end = headEnd(bytes);
    if (end > 0) {
      const head = bytes.subarray(0, end).toString('latin1');
      const parsed = parseHead(head);
      const length = Number(parsed.headers['content-length'] ?? 0);
      if (bytes.length >= end + length) return { ...parsed, head, body: bytes.subarray(end, end + length), end: from + end + length };
    }
    const left = deadline - performance.now();
    if (left <= 0 || wire.outcome.finAt !== undefined || !wire.outcome.stillOpen) {
      throw new Error(`no complete response (${bytes.length} bytes: ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))})`);
    }
    await wire.bytesAtLeast(from + bytes.length + 1, left);
  }
}

/** A TCP connection to 127.0.0.1:port, from `localAddress` when given (all of 127/8 is loopback on Linux). */
export async function rawConnect(port: number, localAddress?: string): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * Send a CONNECT and read the proxy's answer head off the raw socket, leaving the socket with no reader (so
 * a TLS layer can take it over). Resolves with the parsed head and any bytes that came after it.
 */
export async function sendConnect(socket: Socket, target: string, headers: string[] = [], ms = 5000): Promise<RawResponse> {
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`);
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no CONNECT answer in ${ms} ms`)), ms);
    const finish = (error?: Error, response?: RawResponse): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (error) reject(error);
      else resolve(response!);
    };
    const onEnd = (): void => {
      const end = headEnd(bytes);
      if (end > 0) onData(Buffer.alloc(0));
      else finish(new Error(`the proxy closed without an answer: ${JSON.stringify(bytes.toString('latin1'))}`));
    };
    const onData = (chunk: Buffer): void => {
      bytes = Buffer.concat([bytes, chunk]);
      const end = headEnd(bytes);
      if (end < 0) return;
      const head = bytes.subarray(0, end).toString('latin1');
      const parsed = parseHead(head);
      const length = parsed.status === 200 ? 0 : Number(parsed.headers['content-length'] ?? 0);
      if (bytes.length < end + length) return;
      finish(undefined, { ...parsed, head, body: bytes.subarray(end), end: end + length });
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}
