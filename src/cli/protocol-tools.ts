import { canonicalJson, parseCanonicalCompatible } from '../core/canonical-json.js';
import { type CliCommand, readStdin } from './command.js';

const canonicalJsonCommand: CliCommand = {
  name: 'canonical-json',
  summary: 'print the canonical form of the JSON on stdin',
  usage: 'lattice canonical-json < input.json',
  async run(_args, io) {
    const value = parseCanonicalCompatible(await readStdin(io.stdin));
    io.stdout.write(canonicalJson(value) + '\n');
    return 0;
  },
};

export const protocolCommands: readonly CliCommand[] = [canonicalJsonCommand];
