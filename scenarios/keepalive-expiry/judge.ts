import { connectionsCarrying, findStep, fixed, ok200, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

export function judgeIdleGap({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const steps = ['default-1', 'default-2', 'configured-1', 'configured-2'].map((n) => findStep(client, n));
  if (!steps.every(ok200)) return unrecognised(steps.map((s, i) => `step ${i + 1}: ${outcomeOf(s)}`).join('; '));
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
    return fixed(`${how}: one connection carried both requests across ${input.idleSeconds} s idle; ${defaultNote}`);
  }
  if (configured.length === 2) {
    return reproduced(`${how}: the connection was dropped after ${input.idleSeconds} s idle (server keep-alive 60 s); ${defaultNote}`);
  }
  return unrecognised(`the configured client's two requests arrived on ${configured.length} connection(s)`);
}
