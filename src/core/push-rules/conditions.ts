import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { globToRegExp, wordRegExp, type GlobMode } from './glob.js';
import { splitPropertyPath, valueAtPath } from './property-path.js';

/**
 * The push conditions (spec "Conditions") against one event. Built once per event and reused
 * for every recipient: property look-ups and compiled patterns are memoised, so a room of
 * hundreds of members with the same default rules compiles each pattern once.
 */

export interface PushEventInput {
  /** The event as clients see it: type, sender, room_id, state_key, content (and event_id). */
  readonly event: JsonObject;
  /** Joined members of the room (room_member_count). */
  readonly roomMemberCount: number;
  /** The sender's power level; undefined when unknown (sender_notification_permission then fails). */
  readonly senderPowerLevel: number | undefined;
  /** The level `notifications[key]` of the power levels requires (the spec's default: 50). */
  readonly notificationLevel: (key: string) => number;
}

export interface PushRecipient {
  readonly userId: string;
  /**
   * The recipient's display name in the room, if they have one. A function: it costs a state
   * read, and only the legacy contains_display_name rule (skipped for events with m.mentions) asks.
   */
  displayName(): string | undefined;
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

/** Whether a value is one event_property_is / _contains compare: no arrays or objects. */
function isSimple(value: JsonValue | undefined): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

export class ConditionMatcher {
  private readonly values = new Map<string, JsonValue | undefined>();
  /**
   * event_match outcomes, the same for every recipient of the event: by condition object (the
   * default rules' conditions are shared by every user's ruleset), else by (key, pattern).
   */
  private readonly matchedByCondition = new WeakMap<JsonObject, boolean>();
  private readonly matched = new Map<string, boolean>();
  readonly body: string | undefined;
  /** The event has an `m.mentions` property (the legacy mention rules then stand aside). */
  readonly hasMentions: boolean;

  /**
   * `patterns`: compiled globs, which a caller may share across events (users' own patterns such
   * as .m.rule.contains_user_name's localpart recur on every message); the caller bounds it.
   */
  constructor(
    readonly input: PushEventInput,
    private readonly patterns: Map<string, RegExp> = new Map(),
  ) {
    const content = input.event['content'];
    const body = isJsonObject(content) ? content['body'] : undefined;
    this.body = typeof body === 'string' ? body : undefined;
    this.hasMentions = isJsonObject(content) && Object.hasOwn(content, 'm.mentions');
  }

  /** A condition the spec does not define (or a malformed one) never matches. */
  matches(condition: JsonObject, recipient: PushRecipient): boolean {
    switch (condition['kind']) {
      case 'event_match': {
        const known = this.matchedByCondition.get(condition);
        if (known !== undefined) return known;
        const { key, pattern } = condition;
        if (typeof key !== 'string' || typeof pattern !== 'string') return false;
        const memo = `${key}\u0000${pattern}`;
        let matched = this.matched.get(memo);
        if (matched === undefined) {
          const value = this.valueAt(key);
          matched = typeof value === 'string' && this.glob(pattern, key === 'content.body' ? 'word' : 'whole').test(value);
          this.matched.set(memo, matched);
        }
        this.matchedByCondition.set(condition, matched);
        return matched;
      }
      case 'event_property_is': {
        const { key, value } = condition;
        if (typeof key !== 'string' || !isSimple(value)) return false;
        const actual = this.valueAt(key);
        return isSimple(actual) && actual === value;
      }
      case 'event_property_contains': {
        const { key, value } = condition;
        if (typeof key !== 'string' || !isSimple(value)) return false;
        const actual = this.valueAt(key);
        return Array.isArray(actual) && actual.some((item) => isSimple(item) && item === value);
      }
      case 'contains_display_name': {
        // An empty name would match every message.
        if (this.body === undefined) return false;
        const name = recipient.displayName();
        if (name === undefined || name.length === 0) return false;
        const cacheKey = `name\u0000${name}`;
        let regex = this.patterns.get(cacheKey);
        if (!regex) this.patterns.set(cacheKey, (regex = wordRegExp(name)));
        return regex.test(this.body);
      }
      case 'room_member_count':
        return typeof condition['is'] === 'string' && memberCountMatches(condition['is'], this.input.roomMemberCount);
      case 'sender_notification_permission': {
        const key = condition['key'];
        const level = this.input.senderPowerLevel;
        return typeof key === 'string' && level !== undefined && level >= this.input.notificationLevel(key);
      }
      default:
        return false;
    }
  }

  /** A content rule: its pattern against content.body, word by word. */
  matchesContentPattern(pattern: string | undefined): boolean {
    return pattern !== undefined && this.body !== undefined && this.glob(pattern, 'word').test(this.body);
  }

  private valueAt(key: string): JsonValue | undefined {
    if (this.values.has(key)) return this.values.get(key);
    const value = valueAtPath(this.input.event, splitPropertyPath(key));
    this.values.set(key, value);
    return value;
  }

  private glob(pattern: string, mode: GlobMode): RegExp {
    const cacheKey = `${mode}\u0000${pattern}`;
    let regex = this.patterns.get(cacheKey);
    if (!regex) this.patterns.set(cacheKey, (regex = globToRegExp(pattern, mode)));
    return regex;
  }
}

/** `is`: a decimal count, optionally prefixed by ==, <, >, <= or >= (no prefix means ==). */
export function memberCountMatches(is: string, count: number): boolean {
  const m = MEMBER_COUNT.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<':
      return count < n;
    case '>':
      return count > n;
    case '<=':
      return count <= n;
    case '>=':
      return count >= n;
    default:
      return count === n;
  }
}
