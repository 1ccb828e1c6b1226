import { describe, expect, it } from 'vitest';
import { TopicRegistry } from './topic-registry.js';

describe('TopicRegistry', () => {
  it('counts members per topic and is idempotent', () => {
    const registry = new TopicRegistry<string>();
    expect(registry.add('studio/a', 'x')).toBe(1);
    expect(registry.add('studio/a', 'y')).toBe(2);
    expect(registry.add('studio/a', 'y')).toBe(2);
    expect(registry.add('studio/b', 'x')).toBe(1);
    expect(registry.count('studio/a')).toBe(2);
    expect(registry.members('studio/a').sort()).toEqual(['x', 'y']);
    expect(registry.topicCount).toBe(2);
  });

  it('forgets a topic when its last member leaves', () => {
    const registry = new TopicRegistry<string>();
    registry.add('studio/a', 'x');
    registry.remove('studio/a', 'x');
    registry.remove('studio/a', 'x');
    registry.remove('studio/none', 'x');
    expect(registry.topicCount).toBe(0);
    expect(registry.count('studio/a')).toBe(0);
    expect(registry.members('studio/a')).toEqual([]);
  });

  it('hands out snapshots that are safe to iterate while membership changes', () => {
    const registry = new TopicRegistry<string>();
    for (const m of ['a', 'b', 'c']) registry.add('t', m);
    const seen: string[] = [];
    for (const m of registry.members('t')) {
      seen.push(m);
      registry.remove('t', 'b');
      registry.add('t', 'd');
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(registry.members('t').sort()).toEqual(['a', 'c', 'd']);
  });

  it('admits members up to a capacity, never counting a present member twice', () => {
    const registry = new TopicRegistry<string>();
    expect(registry.addWithin('studio/a', 'x', 2)).toBe(1);
    expect(registry.addWithin('studio/a', 'y', 2)).toBe(2);
    expect(registry.addWithin('studio/a', 'z', 2)).toBeNull();
    expect(registry.members('studio/a').sort()).toEqual(['x', 'y']);
    // Re-adding a member of a full topic is accepted and does not grow it.
    expect(registry.addWithin('studio/a', 'y', 2)).toBe(2);
    // A smaller capacity (another ticket's limit) refuses newcomers but keeps who is in.
    expect(registry.addWithin('studio/a', 'z', 1)).toBeNull();
    registry.remove('studio/a', 'x');
    expect(registry.addWithin('studio/a', 'z', 2)).toBe(2);
    expect(registry.members('studio/a').sort()).toEqual(['y', 'z']);
    // A refused add never creates an empty topic.
    expect(registry.addWithin('studio/b', 'x', 0)).toBeNull();
    expect(registry.topicCount).toBe(1);
  });
});
