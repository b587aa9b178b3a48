import { readFileSync } from 'node:fs';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/** The implementation's version, read once from package.json (found from src/ or dist/src/). */
function packageVersion(): string {
  for (const relative of ['../../../package.json', '../../../../package.json']) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'lattice' && 'version' in parsed) {
        return String(parsed.version);
      }
    } catch {
      // Try the next candidate.
    }
  }
  return 'unknown';
}

const VERSION = packageVersion();

export const getVersion = endpoint({
  id: 'getVersion',
  method: 'GET',
  path: '/_matrix/federation/v1/version',
  // The spec does not require authentication here (servers ask before they trust each other).
  auth: 'none',
  rateLimit: 'none',
  async handler() {
    return ok({ server: { name: 'Lattice', version: VERSION } });
  },
});

export const versionEndpoints = [getVersion];
