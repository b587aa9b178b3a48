/**
 * Runs tasks one at a time per key (a room, an origin server), in arrival order; different keys
 * run concurrently. Inbound PDUs of one room are handled in order even when two servers send
 * transactions at once, and one origin's transactions are handled one after another, as
 * Synapse's linearizers do. Keys disappear once their last task settles.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting (tests, metrics). */
  get busy(): number {
    return this.tails.size;
  }
}
