import {
  fixed,
  ok200,
  outcomeOf,
  reproduced,
  requestsTo,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

export function judgeCycles({ client, server, input, clientExitedAt }: JudgeInput): Judgement {
  const app = server.app;
  const cycles = Number(input.cycles);
  const final = new Map<number, ClientStep>();
  for (const step of client.steps) {
    const match = /^cycle-(\d+)$/.exec(step.name);
    if (match) final.set(Number(match[1]), step);
  }
  const missing = range(cycles).filter((n) => !final.has(n));
  if (missing.length) return unrecognised(`the client reported no result for cycle(s) ${missing.join(', ')}`);

  const seen = (n: number): boolean => requestsTo(app, `/cycle/${n}`).length > 0;
  const timedOut = range(cycles).filter((n) => final.get(n)?.error?.kind === 'pool-timeout');
  const connections = app?.connections ?? [];
  if (timedOut.length && timedOut.every((n) => !seen(n))) {
    return reproduced(
      `cycles ${timedOut.join(', ')} of ${cycles} raised ${outcomeOf(final.get(timedOut[0]!))}` +
        ` and never reached the server (it saw ${connections.length} connection(s) for hard limit ${input.hardLimit})`,
    );
  }
  const allOk = range(cycles).every((n) => ok200(final.get(n)) && seen(n));
  if (allOk) {
    const lingering = connections.filter((c) => c.closedAt === undefined || c.closedAt > clientExitedAt);
    const closedEarly = connections.filter((c) => c.closedAt !== undefined && c.closedAt <= clientExitedAt);
    const refused = client.facts.reopen_refused;
    const pattern = refused
      ? `re-entering is refused (${String(refused)}); the documented pattern, a new client per cycle,`
      : 're-entering one client';
    if (lingering.length) {
      return unrecognised(
        `${pattern} served all ${cycles} cycles, but ${lingering.length} socket(s) stayed open until the process exited`,
      );
    }
    return fixed(
      `${pattern} served all ${cycles} cycles with hard limit ${input.hardLimit}; the server saw ` +
        `${connections.length} connection(s), ${closedEarly.length} closed by the client before it exited`,
    );
  }
  return unrecognised(range(cycles).map((n) => `cycle ${n}: ${outcomeOf(final.get(n))}`).join('; '));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
