import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';

/**
 * Dot-separated property paths (spec appendix, v1.7+): `.` separates keys, `\.` is a literal dot
 * and `\\` a literal backslash; any other backslash stands for itself. `content.m\.mentions.room`
 * is the `room` key of the `m.mentions` key of `content`.
 */

export function splitPropertyPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      current += path[i + 1]!;
      i++;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** The value at a path of an object, walking only through objects; undefined when absent. */
export function valueAtPath(root: JsonObject, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue = root;
  for (const key of path) {
    if (!isJsonObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key]!;
  }
  return node;
}
