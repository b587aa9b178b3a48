/**
 * libcoap's command-line client with OpenSSL (Debian 12 libcoap3-bin: `coap-client-openssl`,
 * 4.3.1) as an unmodified sensor over CoAP over TLS-PSK (coaps+tcp). Like the -notls build it
 * exits 0 on error responses and prints "<code> <diagnostic>" on stderr, so tests read both.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LIBCOAP_TLS_CLIENT = 'coap-client-openssl';

export interface LibcoapTlsRequest {
  readonly method?: 'get' | 'put' | 'post' | 'delete';
  readonly uri: string;
  readonly identity: string;
  readonly key: string;
  readonly payload?: Buffer;
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly blockSize?: number;
}

export async function libcoapTls(request: LibcoapTlsRequest): Promise<{ exitCode: number; payload: Buffer; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-libcoap-tls-'));
  try {
    const out = join(dir, 'out');
    const args = ['-m', request.method ?? 'get', '-B', '10', '-o', out, '-u', request.identity, '-k', request.key];
    if (request.payload !== undefined) {
      const file = join(dir, 'in');
      writeFileSync(file, request.payload);
      args.push('-f', file);
    }
    if (request.contentFormat !== undefined) args.push('-t', String(request.contentFormat));
    if (request.accept !== undefined) args.push('-A', String(request.accept));
    if (request.blockSize !== undefined) args.push('-b', String(request.blockSize));
    args.push(request.uri);
    const { exitCode, stderr } = await new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
      execFile(LIBCOAP_TLS_CLIENT, args, { timeout: 15_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error);
        else resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stderr });
      });
    });
    let payload = Buffer.alloc(0);
    try {
      payload = readFileSync(out);
    } catch {
      // nothing written
    }
    return { exitCode, payload, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
