/**
 * The recipient's replay window (RFC 8613 §7.4): a sliding window of 32 sequence numbers ending
 * at the highest one accepted so far. A number above the window is fresh; one inside it is fresh
 * unless its bit is set; one below it is refused (we cannot tell whether it was seen).
 * `isFresh` only looks; `accept` records, and is called only after the message decrypted, so a
 * forged message cannot move the window.
 *
 * The state is two numbers so the caller can persist it (Appendix B.1.2: a server that forgets
 * its window after a reboot would accept replays).
 */

export const REPLAY_WINDOW_SIZE = 32;

export interface ReplayWindowState {
  /** Highest sequence number accepted; -1 before the first. */
  readonly highest: number;
  /** Bit i set ⇔ highest − i was accepted (bit 0 is `highest` itself). */
  readonly bitmap: number;
}

export class ReplayWindow {
  private highest: number;
  private bitmap: number;

  constructor(state: ReplayWindowState = { highest: -1, bitmap: 0 }) {
    this.highest = state.highest;
    this.bitmap = state.bitmap >>> 0;
  }

  get state(): ReplayWindowState {
    return { highest: this.highest, bitmap: this.bitmap };
  }

  isFresh(sequenceNumber: number): boolean {
    if (sequenceNumber > this.highest) return true;
    const age = this.highest - sequenceNumber;
    if (age >= REPLAY_WINDOW_SIZE) return false;
    return ((this.bitmap >>> age) & 1) === 0;
  }

  accept(sequenceNumber: number): void {
    if (sequenceNumber > this.highest) {
      const shift = sequenceNumber - this.highest;
      this.bitmap = shift >= REPLAY_WINDOW_SIZE ? 1 : ((this.bitmap << shift) | 1) >>> 0;
      this.highest = sequenceNumber;
      return;
    }
    const age = this.highest - sequenceNumber;
    if (age < REPLAY_WINDOW_SIZE) this.bitmap = (this.bitmap | (1 << age)) >>> 0;
  }
}
