/**
 * How much remote work one inbound transaction (or one read) may cause: every request we make to
 * another server while handling it (events, auth chains, missing events, state) takes one unit.
 * A hostile server sending PDUs that point at endless unknown events costs us a bounded number
 * of requests per transaction, after which its remaining PDUs are dropped with an error.
 */
export class FetchBudget {
  constructor(private remaining: number) {}

  /** Takes one request's worth; false once the budget is spent. */
  take(): boolean {
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }

  get exhausted(): boolean {
    return this.remaining <= 0;
  }
}

/** Remote requests one /send transaction may cause. */
export const REQUESTS_PER_TRANSACTION = 200;
