/**
 * The words of a search term. Like Synapse's SQLite search, every word must occur (AND) and
 * matches whole tokens only; unlike it, nothing is an operator: quotes, `-`, `OR`, `NEAR`, `*`,
 * `:` and parentheses are text. Words are runs of letters, digits and marks (what the index's
 * unicode61 tokenizer keeps); everything else separates them, as it does in the index.
 */

/** Longest search term accepted, in UTF-16 units. */
export const MAX_TERM_LENGTH = 1000;
/** Most distinct words in one search. */
export const MAX_WORDS = 50;

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/** The distinct words, lower-cased, in order of first appearance. */
export function searchWords(term: string): string[] {
  const words = new Set<string>();
  for (const match of term.normalize('NFC').matchAll(WORD)) words.add(match[0].toLowerCase());
  return [...words];
}
