/**
 * libcoap's command-line client (Debian package libcoap3-bin, binary `coap-client-notls`,
 * version 4.3.1 here; .ci/run installs it) as an independent CoAP implementation under test.
 * It exits 0 even for error responses and prints "<code> <diagnostic payload>" on stderr for
 * them, so tests read both streams.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LIBCOAP_CLIENT = 'coap-client-notls';

export interface LibcoapResult {
  readonly exitCode: number;
  /** The response payload (from -o), empty when none was written. */
  readonly payload: Buffer;
  readonly stderr: string;
}

export interface LibcoapRequest {
  readonly method?: 'get' | 'put' | 'post' | 'delete';
  readonly uri: string;
  readonly payload?: Buffer;
  readonly contentFormat?: number;
  readonly accept?: number;
  /** Block size for -b (Block2 on GET, Block1 on PUT/POST). */
  readonly blockSize?: number;
  /** -O number,text options, e.g. [[256, 'token']]. */
  readonly options?: ReadonlyArray<readonly [number, string]>;
  /** Another build of the client (e.g. coap-client-openssl for coaps+tcp). */
  readonly client?: string;
  /** TLS pre-shared key: -u identity -k key. */
  readonly psk?: { readonly identity: string; readonly key: string };
}

export async function libcoap(request: LibcoapRequest): Promise<LibcoapResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-libcoap-'));
  try {
    const out = join(dir, 'out');
    const args = ['-m', request.method ?? 'get', '-B', '10', '-o', out];
    if (request.psk !== undefined) args.push('-u', request.psk.identity, '-k', request.psk.key);
    if (request.payload !== undefined) {
      const file = join(dir, 'in');
      writeFileSync(file, request.payload);
      args.push('-f', file);
    }
    if (request.contentFormat !== undefined) args.push('-t', String(request.contentFormat));
    if (request.accept !== undefined) args.push('-A', String(request.accept));
    if (request.blockSize !== undefined) args.push('-b', String(request.blockSize));
    for (const [number, text] of request.options ?? []) args.push('-O', `${number},${text}`);
    args.push(request.uri);
    const { exitCode, stderr } = await new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
      execFile(request.client ?? LIBCOAP_CLIENT, args, { timeout: 15_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error);
        else resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stderr });
      });
    });
    let payload = Buffer.alloc(0);
    try {
      payload = readFileSync(out);
    } catch {
      // no payload written
    }
    return { exitCode, payload, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
