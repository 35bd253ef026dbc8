import { connectionsCarrying, findStep, fixed, ok200, outcomeOf, reproduced, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/**
 * What the case asserts: a client configured to keep idle connections 30 s reuses its connection after a
 * 6 s idle gap the server allows (server keep-alive 60 s). Violation, `reproduced`: the client dropped the
 * connection itself (the server saw the client's FIN on it) and opened a new one for the second request.
 * A connection the server closed says nothing about the client.
 */
export function judgeIdleGap({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const steps = ['default-1', 'default-2', 'configured-1', 'configured-2'].map((n) => findStep(client, n));
  if (!steps.every(ok200)) return unrecognised(`${steps.map((s, i) => `step ${i + 1}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
  const configured = connectionsCarrying(app, '/ka/configured/');
  const byDefault = connectionsCarrying(app, '/ka/default/');
  const how = client.facts.keepalive_expiry_unsupported
    ? String(client.facts.keepalive_expiry_unsupported)
    : `configured with ${String(client.facts.configured_with)}`;
  const defaultNote =
    byDefault.length > 1
      ? `the default client opened a new connection after ${input.idleSeconds} s idle`
      : `the default client kept its connection across ${input.idleSeconds} s idle (no expiry)`;
  if (configured.length === 1) {
    return fixed(`${how}: one connection carried both requests across ${input.idleSeconds} s idle; ${defaultNote}; ${saw}`);
  }
  if (configured.length === 2) {
    const firstId = Math.min(...configured);
    const first = app?.connections.find((c) => c.id === firstId);
    if (first?.closedBy === 'server') {
      return unrecognised(`the server closed the configured client's first connection (keep-alive 60 s); ${saw}`);
    }
    return reproduced(
      `${how}: the client dropped its connection after ${input.idleSeconds} s idle (closed by ${first?.closedBy ?? 'nobody yet'}; ` +
        `server keep-alive 60 s) and opened a new one; ${defaultNote}; ${saw}`,
    );
  }
  return unrecognised(`the configured client's two requests arrived on ${configured.length} connection(s); ${saw}`);
}
