import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** One CLI sub-command. `run` returns the process exit code. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A bad invocation or bad input: printed as one line on stderr, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export async function readStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses `--name value` (or `--name=value`) pairs. Names in `booleans` are switches that take no
 * value (`--admin`), recorded as "true"; `--admin=false` is also accepted.
 */
export function parseFlags(args: string[], allowed: readonly string[], booleans: readonly string[] = []): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const isBoolean = booleans.includes(name);
    if (!allowed.includes(name) && !isBoolean) throw new CliError(`unknown flag --${name}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (isBoolean) value = 'true';
    else value = args[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value`);
    if (isBoolean && value !== 'true' && value !== 'false') throw new CliError(`--${name} is true or false`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

/** The last value of a switch parsed by parseFlags, or undefined when absent. */
export function booleanFlag(flags: Map<string, string[]>, name: string): boolean | undefined {
  const values = flags.get(name);
  return values === undefined ? undefined : values[values.length - 1] === 'true';
}

export function requireFlag(flags: Map<string, string[]>, name: string): string {
  const values = flags.get(name);
  if (!values || values.length === 0) throw new CliError(`missing --${name}`);
  if (values.length > 1) throw new CliError(`--${name} given more than once`);
  return values[0]!;
}
