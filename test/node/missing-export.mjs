// A program that imports a name the release does not export: it fails to link, before run() is called.
import { noSuchExport } from 'undici';
import { run } from '@regress/contract';

await run(async () => {
  noSuchExport();
});
