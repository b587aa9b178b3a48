import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A certificate authority made for one test run with the openssl CLI: a CA certificate the
 * servers trust through federation_custom_ca_list, and leaf certificates for test server names
 * (and loopback IPs) signed by it. Nothing here is trusted outside the test's temp dir.
 */

export interface TestCa {
  readonly caCertPath: string;
  /** A certificate for these DNS names and IP addresses; returns PEM file paths. */
  issue(name: string, dnsNames: readonly string[], ips?: readonly string[]): { certPath: string; keyPath: string };
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(dir: string): TestCa {
  const caKey = path.join(dir, 'ca.key');
  const caCertPath = path.join(dir, 'ca.crt');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCertPath, '-days', '2', '-subj', '/CN=Lattice test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return {
    caCertPath,
    issue(name, dnsNames, ips = []) {
      const keyPath = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const certPath = path.join(dir, `${name}.crt`);
      const ext = path.join(dir, `${name}.ext`);
      const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
      writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', csr, '-subj', `/CN=${dnsNames[0] ?? ips[0] ?? name}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', caCertPath, '-CAkey', caKey, '-CAcreateserial', '-out', certPath, '-days', '2', '-extfile', ext], dir);
      return { certPath, keyPath };
    },
  };
}
