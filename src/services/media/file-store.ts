import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Media bytes on disk: `<root>/<first 2 chars of the id>/<id>`. Writes go to a temporary file
 * that is fsynced and renamed into place (and the directory fsynced), so a caller that inserts
 * its database row only after `write` returns never has a row without a complete file.
 */

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 24;

/** 24 random letters (Synapse's shape for media and file IDs). */
export function newFileId(): string {
  // Bytes >= 208 (4 × 52) are skipped so every letter is equally likely.
  let id = '';
  while (id.length < ID_LENGTH) {
    for (const b of randomBytes(ID_LENGTH)) {
      if (b < 208 && id.length < ID_LENGTH) id += ID_ALPHABET[b % 52];
    }
  }
  return id;
}

export class FileStore {
  constructor(readonly root: string) {}

  pathOf(id: string): string {
    return path.join(this.root, id.slice(0, 2), id);
  }

  async write(id: string, bytes: Uint8Array): Promise<void> {
    const file = this.pathOf(id);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    await fs.rename(tmp, file);
    await syncDir(path.dirname(file));
  }

  async read(id: string): Promise<Uint8Array> {
    const bytes = await fs.readFile(this.pathOf(id));
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.pathOf(id), { force: true });
  }
}

/** fsync a directory so a rename into it survives a crash (not supported everywhere: best effort). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync directories.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
