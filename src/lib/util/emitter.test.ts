import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';

describe('Emitter', () => {
  it('delivers to every listener even when one throws, and reports the error', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<{ tick: number }>((error) => errors.push(error));
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('boom');
    });
    emitter.on('tick', (n) => seen.push(n));
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    expect(seen).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
  });

  it('stops delivering after the returned unsubscribe is called, also during an emit', () => {
    const emitter = new Emitter<{ tick: number }>();
    const seen: string[] = [];
    const offB = emitter.on('tick', () => seen.push('b'));
    emitter.on('tick', () => {
      seen.push('a');
      offB();
    });
    emitter.emit('tick', 1); // snapshot: b still runs this time
    emitter.emit('tick', 2);
    expect(seen).toEqual(['b', 'a', 'a']);
  });
});
