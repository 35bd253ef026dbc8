import { h2View, streamsTo } from '../../harness/h2-kit.ts';
import { fixed, ok200, outcomeOf, reproduced, stepsStartingWith, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/** h2's TooManyStreamsError: the client tried to open more streams than the server allows. */
const TOO_MANY_STREAMS = /max outbound streams/i;
/** The server's RST_STREAM(REFUSED_STREAM) for a stream over its limit, as h2 reports it (error_code 7). */
const REFUSED = /error_code:\s*(7|ErrorCodes\.REFUSED_STREAM)\b/i;

export function judgeH2Limits({ client, server, input }: JudgeInput): Judgement {
  const h2 = h2View(server.h2);
  if (!h2) return unrecognised("the server observations are not an HTTP/2 fixture's");
  const maxConnections = Number(input.maxConnections);
  const maxStreams = Number(input.maxConcurrentStreams);
  const pool = Number(input.poolTimeout);
  const steps = stepsStartingWith(client, 'request-');
  if (steps.length !== Number(input.tasks)) return unrecognised(`expected ${input.tasks} request results, got ${steps.length}`);
  if (h2.refusedNotH2 > 0) return unrecognised(`the client did not negotiate h2 by ALPN (${h2.refusedNotH2} connection(s) refused)`);
  const notH2 = steps.find((s) => s.ok && s.httpVersion !== 'HTTP/2');
  if (notH2) return unrecognised(`${notH2.name} was answered over ${String(notH2.httpVersion)}, not HTTP/2`);

  // Connections: the documented limit, counted by the server as TCP connections.
  const peakConnections = h2.peakConcurrentConnections;
  if (peakConnections > maxConnections) {
    return reproduced(`the server saw ${peakConnections} concurrent connections for max_connections=${maxConnections}`);
  }
  // Streams: a connection carries several; the client must keep each within the server's SETTINGS.
  const crowded = h2.sessions.find((s) => s.peakConcurrentStreams > maxStreams);
  if (crowded) {
    return reproduced(`connection ${crowded.connection} carried ${crowded.peakConcurrentStreams} concurrent streams; the server allows ${maxStreams}`);
  }
  const served = steps.filter(ok200);
  const waiters = steps.filter((s) => !ok200(s));
  // A request the pool could not serve must raise PoolTimeout: not a stream-limit error the client ran
  // into itself, and not a connect or read timeout.
  const hung = waiters.find((s) => s.pending === true);
  if (hung) {
    return reproduced(
      `${hung.name} neither finished nor raised within ${String(input.deadline)} s (pool timeout ${pool} s, server delay ` +
        `${Number(input.delayMs) / 1000} s): ${waiters.filter((s) => s.pending).length} request(s) hung`,
    );
  }
  const refusedByServer = waiters.find((s) => REFUSED.test(s.error?.message ?? ''));
  if (refusedByServer) {
    return reproduced(
      `${refusedByServer.name} raised ${refusedByServer.error!.type}: ${refusedByServer.error!.message} (the client opened more ` +
        `streams than the server's ${maxStreams}, and the server refused one)`,
    );
  }
  const overCommitted = waiters.find((s) => TOO_MANY_STREAMS.test(s.error?.message ?? ''));
  if (overCommitted) {
    return reproduced(
      `${overCommitted.name} raised ${overCommitted.error!.type}: ${overCommitted.error!.message} (the client tried to exceed the ` +
        `server's ${maxStreams} streams per connection instead of waiting or raising PoolTimeout)`,
    );
  }
  const wrongTimeout = waiters.find((s) => ['connect-timeout', 'read-timeout', 'timeout'].includes(s.error?.kind ?? ''));
  if (wrongTimeout) return reproduced(`a request that could not be served raised ${outcomeOf(wrongTimeout)}, not PoolTimeout`);
  const other = waiters.find((s) => s.error?.kind !== 'pool-timeout');
  if (other) return unrecognised(`${other.name}: ${outcomeOf(other)} (${other.error?.message ?? ''})`);
  // A PoolTimeout is the pool's answer only when there was no stream to be had: every connection the
  // client may open (max_connections) carrying as many streams as the server allows. A pool that never
  // filled that capacity, e.g. one stream per connection instead of sharing one, timed requests out while
  // the server had room for them.
  const capacity = Math.min(steps.length, maxConnections * maxStreams);
  if (waiters.length && h2.peakConcurrentStreams < capacity) {
    const perConnection = h2.sessions.map((s) => `connection ${s.connection}: peak ${s.peakConcurrentStreams} stream(s)`).join('; ');
    return reproduced(
      `${waiters.length} request(s) raised PoolTimeout (after ${waiters.map((s) => s.elapsed.toFixed(2)).join(', ')} s) while the server ` +
        `had stream capacity: at most ${h2.peakConcurrentStreams} stream(s) open at once of the ${capacity} that ${maxConnections} ` +
        `connection(s) × ${maxStreams} stream(s) allow (${perConnection || 'no connection'})`,
    );
  }
  const early = waiters.find((s) => s.elapsed < pool - 0.05);
  if (early) return reproduced(`PoolTimeout after ${early.elapsed.toFixed(2)} s, before the ${pool} s pool timeout`);

  const ended = streamsTo(h2, '/slow/').filter((s) => s.outcome === 'ended').length;
  if (ended !== served.length) return unrecognised(`the client got ${served.length} responses, the server ended ${ended} stream(s)`);
  const perConnection = h2.sessions.map((s) => `connection ${s.connection}: ${s.streamsOpened} stream(s), peak ${s.peakConcurrentStreams}`).join('; ');
  const slowest = Math.max(...served.map((s) => s.elapsed));
  return fixed(
    `peak ${peakConnections} connection(s) for max_connections=${maxConnections}, at most ${maxStreams} concurrent stream(s) per connection ` +
      `(${perConnection}); ${served.length} served (slowest after ${slowest.toFixed(2)} s), ${waiters.length} raised PoolTimeout` +
      (waiters.length ? ` after ${waiters.map((s) => s.elapsed.toFixed(2)).join(', ')} s` : '') +
      ` (pool timeout ${pool} s)`,
  );
}
