import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Spec vectors live outside the repository (shared, read-only); tests read them at run time
 * relative to the project root so nothing is copied in.
 */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const specRoot = path.resolve(projectRoot, '..', 'shared', 'spec');

/** Parsed JSON of a file under shared/spec/vectors. Typed by the caller: the files are trusted test data. */
export function loadVector<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(specRoot, 'vectors', name), 'utf8')) as T;
}
