import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/**
 * The CA certificates outbound federation trusts: Node's built-in Mozilla store plus the files in
 * federation_custom_ca_list (private federations, tests). Passing `ca` replaces Node's default
 * store, so the built-in roots are added back explicitly.
 */
export function federationCaList(customCaFiles: readonly string[]): string[] | undefined {
  if (customCaFiles.length === 0) return undefined;
  const custom = customCaFiles.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`federation_custom_ca_list: cannot read ${file}: ${(err as Error).message}`);
    }
  });
  return [...rootCertificates, ...custom];
}
