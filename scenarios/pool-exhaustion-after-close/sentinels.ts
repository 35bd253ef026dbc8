// The documented failure put back into today's code: leaving `async with AsyncClient()` no longer closes
// the transport, so every connection of every cycle stays open until the process exits.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const closeLeak = (client: string): Edit => ({
  file: `${client}/_client.py`,
  find:
    '        await self._transport.__aexit__(exc_type, exc_value, traceback)\n' +
    '        for proxy in self._mounts.values():\n' +
    '            if proxy is not None:\n' +
    '                await proxy.__aexit__(exc_type, exc_value, traceback)\n',
  replace: '        # sentinel close-leak: the transport and the mounts are left open\n        pass\n',
});

export default defineSentinels([
  {
    id: 'close-leak',
    summary: 'AsyncClient.__aexit__ no longer closes the transport (connections linger until the process exits)',
    expect: ['reenter'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [closeLeak('httpx')] },
      { line: 'httpx2', package: 'httpx2', edits: [closeLeak('httpx2')] },
    ],
  },
]);
