// Whole-or-nothing file writes for reports. write-file-atomic issues one write() and renames whatever it
// wrote: on a nearly full disk write() is short (it wrote what fitted, no error), and a truncated
// report.html ended up under its final name. Here every byte is written (FileHandle.writeFile loops until
// all are, and the next write after a short one fails with ENOSPC), the size is checked against the data,
// and only then is the temporary file renamed into place; on any failure it is removed.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileWhole(path: string, data: string, options: { fsync?: boolean } = {}): Promise<void> {
  const bytes = Buffer.from(data, 'utf8');
  // Hidden and beside the target: same filesystem, so the rename is atomic.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(temporary, 'wx');
    await handle.writeFile(bytes);
    if (options.fsync !== false) await handle.sync();
    const { size } = await handle.stat();
    if (size !== bytes.length) throw Object.assign(new Error(`short write: ${size} of ${bytes.length} bytes`), { code: 'EIO' });
    await handle.close();
    handle = null;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}
