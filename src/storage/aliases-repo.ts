import type { Db } from './database.js';

export interface AliasRecord {
  readonly alias: string;
  readonly roomId: string;
  readonly creator: string;
}

/** Local room aliases (#name:our.server → room ID). */
export class AliasesRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly ofRoomStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO room_aliases (room_alias, room_id, creator, created_ts) VALUES (?, ?, ?, ?) ON CONFLICT (room_alias) DO NOTHING',
    );
    this.getStmt = db.prepare<[string], { room_alias: string; room_id: string; creator: string }>(
      'SELECT room_alias, room_id, creator FROM room_aliases WHERE room_alias = ?',
    );
    this.deleteStmt = db.prepare('DELETE FROM room_aliases WHERE room_alias = ?');
    this.ofRoomStmt = db.prepare<[string], { room_alias: string }>(
      'SELECT room_alias FROM room_aliases WHERE room_id = ? ORDER BY created_ts, room_alias',
    );
  }

  /** False when the alias is already taken. */
  insert(alias: string, roomId: string, creator: string, createdTs: number): boolean {
    return this.insertStmt.run(alias, roomId, creator, createdTs).changes === 1;
  }

  get(alias: string): AliasRecord | undefined {
    const r = this.getStmt.get(alias);
    return r && { alias: r.room_alias, roomId: r.room_id, creator: r.creator };
  }

  delete(alias: string): boolean {
    return this.deleteStmt.run(alias).changes === 1;
  }

  ofRoom(roomId: string): string[] {
    return this.ofRoomStmt.all(roomId).map((r) => r.room_alias);
  }
}
