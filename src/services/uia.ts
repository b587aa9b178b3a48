import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import type { Clock } from './clock.js';
import { ErrCode, invalidParam, MatrixError } from './errors.js';
import { newSessionId } from './secrets.js';

/**
 * User-interactive authentication (spec "User-Interactive Authentication API"): the 401
 * dance in which a client completes the stages of one of the offered flows, one request per
 * stage, tied together by a session ID. Sessions live in memory (per homeserver instance):
 * losing them on restart only makes a client start its flow again.
 */

export const STAGE = {
  dummy: 'm.login.dummy',
  password: 'm.login.password',
  registrationToken: 'm.login.registration_token',
} as const;

export type Flow = readonly string[];

/** How the stages check credentials; provided by the services that own them. */
export interface StageCheckers {
  /** Proves the password of `userId` (the identifier in `auth` must name that user). */
  password(userId: string, auth: JsonObject, clientIp: string): Promise<boolean>;
  /** Whether a registration token can be used now. */
  registrationTokenValid(token: string): boolean;
}

export interface UiaRequest {
  /** Names the operation (endpoint id): a session cannot be carried over to another one. */
  readonly operation: string;
  /** The request body's `auth` field. */
  readonly auth: JsonValue | undefined;
  readonly flows: readonly Flow[];
  readonly params?: JsonObject;
  /** For operations on an existing account: whose password the password stage must prove. */
  readonly userId?: string;
  readonly clientIp: string;
}

export interface UiaResult {
  readonly completed: readonly string[];
  /** The token used by m.login.registration_token, to be counted when registration commits. */
  readonly registrationToken?: string;
}

interface Session {
  readonly id: string;
  readonly operation: string;
  readonly userId: string | undefined;
  readonly completed: string[];
  registrationToken?: string;
  readonly expiresAt: number;
}

/** The 401 auth response: flows, params, session, completed (+ errcode when a stage failed). */
export class UiaRequired extends MatrixError {
  constructor(
    readonly response: JsonObject,
    private readonly failure?: { errcode: string; message: string },
  ) {
    super(401, failure?.errcode ?? ErrCode.UNAUTHORIZED, failure?.message ?? 'Additional authentication required');
  }

  override body(): JsonObject {
    // A first 401 carries no errcode (as Synapse does): clients show errcode as a failure.
    return this.failure ? { ...this.response, errcode: this.failure.errcode, error: this.failure.message } : { ...this.response };
  }
}

const SESSION_LIFETIME_MS = 15 * 60_000;
const MAX_SESSIONS = 10_000;

export class UserInteractiveAuth {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly checkers: StageCheckers,
  ) {}

  /** Resolves when a flow is complete; otherwise throws UiaRequired (401) or a 400. */
  async authenticate(request: UiaRequest): Promise<UiaResult> {
    const now = this.clock.now();
    this.prune(now);
    if (request.auth !== undefined && !isJsonObject(request.auth)) throw new MatrixError(400, ErrCode.BAD_JSON, "'auth' must be an object");
    const auth = request.auth;
    const session = this.sessionFor(request, auth, now);
    const type = auth?.['type'];
    if (auth !== undefined && type !== undefined) {
      if (typeof type !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, "'auth.type' must be a string");
      const offered = request.flows.some((flow) => flow.includes(type));
      if (!offered) throw this.required(request, session, { errcode: ErrCode.UNRECOGNIZED, message: `Authentication type ${type} is not offered` });
      const failure = await this.runStage(type, auth, request, session);
      if (failure) throw this.required(request, session, failure);
      if (!session.completed.includes(type)) session.completed.push(type);
    }
    const done = request.flows.some((flow) => flow.every((stage) => session.completed.includes(stage)));
    if (!done) throw this.required(request, session);
    this.sessions.delete(session.id);
    return {
      completed: [...session.completed],
      ...(session.registrationToken !== undefined ? { registrationToken: session.registrationToken } : {}),
    };
  }

  private sessionFor(request: UiaRequest, auth: JsonObject | undefined, now: number): Session {
    const id = auth?.['session'];
    if (id === undefined) {
      const session: Session = { id: newSessionId(), operation: request.operation, userId: request.userId, completed: [], expiresAt: now + SESSION_LIFETIME_MS };
      this.sessions.set(session.id, session);
      return session;
    }
    if (typeof id !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, "'auth.session' must be a string");
    const session = this.sessions.get(id);
    if (!session) throw invalidParam('Unknown or expired authentication session');
    if (session.operation !== request.operation || session.userId !== request.userId) {
      throw new MatrixError(403, ErrCode.FORBIDDEN, 'This authentication session belongs to another request');
    }
    return session;
  }

  private async runStage(
    type: string,
    auth: JsonObject,
    request: UiaRequest,
    session: Session,
  ): Promise<{ errcode: string; message: string } | undefined> {
    switch (type) {
      case STAGE.dummy:
        return undefined;
      case STAGE.password: {
        if (request.userId === undefined) return { errcode: ErrCode.FORBIDDEN, message: 'Password authentication is not possible here' };
        const ok = await this.checkers.password(request.userId, auth, request.clientIp);
        return ok ? undefined : { errcode: ErrCode.FORBIDDEN, message: 'Invalid password' };
      }
      case STAGE.registrationToken: {
        const token = auth['token'];
        if (typeof token !== 'string' || !this.checkers.registrationTokenValid(token)) {
          return { errcode: ErrCode.UNAUTHORIZED, message: 'Invalid registration token' };
        }
        session.registrationToken = token;
        return undefined;
      }
      default:
        return { errcode: ErrCode.UNRECOGNIZED, message: `Unsupported authentication type ${type}` };
    }
  }

  private required(request: UiaRequest, session: Session, failure?: { errcode: string; message: string }): UiaRequired {
    const response: JsonObject = {
      flows: request.flows.map((stages) => ({ stages: [...stages] })),
      params: request.params ?? {},
      session: session.id,
    };
    if (session.completed.length > 0) response['completed'] = [...session.completed];
    return new UiaRequired(response, failure);
  }

  private prune(now: number): void {
    // Map iteration is insertion order and every session lives equally long, so the expired
    // ones (and, past the cap, the oldest) are at the front.
    for (const [id, s] of this.sessions) {
      if (s.expiresAt > now && this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(id);
    }
  }
}
