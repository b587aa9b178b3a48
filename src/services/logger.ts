/**
 * The logging surface services and dispatch use: a subset of pino's, so the homeserver passes
 * its pino instance (shared with fastify) and tests can pass a silent one.
 */
export interface LogFn {
  (message: string): void;
  (details: object, message?: string): void;
}

export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

const noop: LogFn = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
