// #12835's fix taken back out of the newest wheel (3.14.5): ClientRequest.connection_key (aiohttp/client_reqrep.py,
// pure Python whatever the C extensions) again leaves the request's server_hostname out of the pool key, as
// every release up to 3.14.0 did: the field stays (None for every request), so the key's shape is unchanged.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const keyWithoutServerHostname: Edit = {
  file: 'aiohttp/client_reqrep.py',
  find: '                h,\n                self.server_hostname,\n',
  replace: '                h,\n                None,  # sentinel key-without-server-hostname: the pool key ignores server_hostname (aiohttp 3.14.0)\n',
};

export default defineSentinels([
  {
    id: 'key-without-server-hostname',
    summary: 'the TLS connection pool key ignores the per-request server_hostname: a connection verified for one name serves another (aiohttp 3.14.0, #12835)',
    expect: ['second-server-hostname'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [keyWithoutServerHostname] }],
  },
]);
