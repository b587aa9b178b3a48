// The notifier that long-polls wait on (src/services/notifier.ts).
import { describe, expect, it } from 'vitest';
import { Notifier } from '../../src/services/notifier.js';

describe('Notifier', () => {
  it('wakes waiters of the room or the user, not others', async () => {
    const n = new Notifier();
    const inRoom = n.waitForChange('@a:x', ['!r:x'], { events: 0 }, 5_000);
    const elsewhere = n.waitForChange('@b:x', ['!other:x'], { events: 0 }, 50);
    const byUser = n.waitForChange('@c:x', [], { events: 0 }, 5_000);
    expect(n.waiting).toBe(3);
    n.notify({ roomId: '!r:x', userIds: ['@c:x'], stream: 'events', position: 1 });
    expect(await inRoom).toBe(true);
    expect(await byUser).toBe(true);
    expect(await elsewhere).toBe(false);
    expect(n.waiting).toBe(0);
    expect(n.currentPosition('events')).toBe(1);
  });

  it('answers at once when something already happened after `since`', async () => {
    const n = new Notifier();
    n.notify({ roomId: '!r:x', stream: 'events', position: 5 });
    expect(await n.waitForChange('@a:x', ['!r:x'], { events: 4 }, 10_000)).toBe(true);
    // Already seen: waits (and times out).
    expect(await n.waitForChange('@a:x', ['!r:x'], { events: 5 }, 20)).toBe(false);
    // A stream the reader does not name counts from 0.
    n.notify({ userIds: ['@a:x'], stream: 'account_data', position: 1 });
    expect(await n.waitForChange('@a:x', [], { events: 5 }, 10_000)).toBe(true);
  });

  it('ignores notifications not past since, and stops on abort', async () => {
    const n = new Notifier();
    const controller = new AbortController();
    const waiting = n.waitForChange('@a:x', ['!r:x'], { events: 10 }, 10_000, controller.signal);
    n.notify({ roomId: '!r:x', stream: 'events', position: 9 });
    controller.abort();
    expect(await waiting).toBe(false);
    expect(n.waiting).toBe(0);
    expect(await n.waitForChange('@a:x', [], {}, 0)).toBe(false);
  });
});
