import type { Db } from './database.js';

/**
 * What inbound federation keeps besides events (migrations/0006): the answers to transactions
 * already processed (so a retry is not processed twice). To-device messages have their own
 * repository (to-device-repo.ts), remote device lists and cross-signing keys theirs
 * (remote-devices-repo.ts, cross-signing-repo.ts).
 */

export class FederationInboundRepo {
  private readonly getTxnStmt;
  private readonly putTxnStmt;
  private readonly pruneTxnsStmt;

  constructor(db: Db) {
    this.getTxnStmt = db.prepare<[string, string], { response_json: string }>(
      'SELECT response_json FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?',
    );
    this.putTxnStmt = db.prepare(
      'INSERT OR REPLACE INTO federation_inbound_txns (origin, txn_id, response_json, received_ts) VALUES (?, ?, ?, ?)',
    );
    this.pruneTxnsStmt = db.prepare('DELETE FROM federation_inbound_txns WHERE received_ts < ?');
  }

  /** The answer already given to this transaction, as JSON. */
  txnResponse(origin: string, txnId: string): string | undefined {
    return this.getTxnStmt.get(origin, txnId)?.response_json;
  }

  putTxnResponse(origin: string, txnId: string, responseJson: string, receivedTs: number): void {
    this.putTxnStmt.run(origin, txnId, responseJson, receivedTs);
  }

  /** Forgets answers older than `beforeTs`; returns how many. */
  pruneTxns(beforeTs: number): number {
    return this.pruneTxnsStmt.run(beforeTs).changes;
  }
}
