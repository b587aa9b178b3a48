import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

/**
 * Schema migrations: `migrations/NNNN_name.sql`, applied in numeric order on start. All pending
 * files run in one transaction, so a failed upgrade leaves the database as it was.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The project's migrations/ folder, found from this file whether run from src/ or dist/src/. */
export function defaultMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'migrations'))) return path.join(dir, 'migrations');
    const parent = path.dirname(dir);
    if (parent === dir) throw new MigrationError('cannot find the migrations/ folder above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/.exec(file);
      if (!m) throw new MigrationError(`migration file ${file} is not named NNNN_name.sql`);
      return { version: Number(m[1]), name: m[2]!, sql: readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new MigrationError(`two migrations numbered ${migrations[i]!.version}`);
  }
  return migrations;
}

/** Applies what is pending; returns the versions applied. */
export function applyMigrations(db: Database.Database, dir: string): number[] {
  const migrations = readMigrations(dir);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL) STRICT`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    // A newer Lattice wrote this database; running older code on it could corrupt it.
    throw new MigrationError(`database has migrations this version does not know (${unknown.join(', ')}); upgrade Lattice`);
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  if (pending.length === 0) return [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_ts) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  })();
  return pending.map((m) => m.version);
}
