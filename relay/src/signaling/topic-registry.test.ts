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
});
