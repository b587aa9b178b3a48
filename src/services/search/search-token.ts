import { invalidParam } from '../errors.js';

/**
 * `next_batch` tokens of POST /search. A token names the group it continues ("all", or one room
 * or sender of a grouping, so a group's token pages within that group) and the stream ordering
 * the next page starts below. Opaque to clients: unpadded base64url of three lines.
 */

export type BatchGroup = { readonly kind: 'all' } | { readonly kind: 'room_id' | 'sender'; readonly key: string };

export interface SearchBatch {
  readonly group: BatchGroup;
  /** Results have stream orderings below this. */
  readonly before: number;
}

const STREAM = /^-?\d{1,16}$/;

export function encodeBatch(batch: SearchBatch): string {
  const key = batch.group.kind === 'all' ? '' : batch.group.key;
  return Buffer.from(`${batch.group.kind}\n${key}\n${batch.before}`, 'utf8').toString('base64url');
}

export function decodeBatch(token: string): SearchBatch {
  const parts = token.length <= 2048 && /^[A-Za-z0-9_-]*$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8').split('\n') : [];
  const [kind, key, before] = parts;
  if (parts.length !== 3 || before === undefined || !STREAM.test(before) || key === undefined) throw invalidParam('Invalid next_batch token');
  if (kind === 'all' && key === '') return { group: { kind }, before: Number(before) };
  if ((kind === 'room_id' || kind === 'sender') && key !== '') return { group: { kind, key }, before: Number(before) };
  throw invalidParam('Invalid next_batch token');
}
