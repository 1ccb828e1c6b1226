/**
 * Which connections subscribe to which topic. The registry only holds membership; connections own
 * their own list of topics and call {@link TopicRegistry.remove} for each when they close.
 *
 * Invariant: a topic is present exactly while it has at least one subscriber, so `topicCount` is
 * the number of live rooms and memory does not grow with topics that were used once.
 */
export class TopicRegistry<Member> {
  readonly #topics = new Map<string, Set<Member>>();

  /** Adds `member` to `topic` (idempotent) and returns the topic's subscriber count. */
  add(topic: string, member: Member): number {
    let members = this.#topics.get(topic);
    if (!members) {
      members = new Set();
      this.#topics.set(topic, members);
    }
    members.add(member);
    return members.size;
  }

  /**
   * Adds `member` to `topic` unless the topic already holds `capacity` members; a member already
   * present is not counted twice (it is accepted even when the topic is full). Returns the topic's
   * subscriber count, or `null` when the topic is full.
   */
  addWithin(topic: string, member: Member, capacity: number): number | null {
    const members = this.#topics.get(topic);
    if (!members?.has(member) && (members?.size ?? 0) >= capacity) return null;
    return this.add(topic, member);
  }

  /** Removes `member` from `topic` (idempotent); drops the topic when it becomes empty. */
  remove(topic: string, member: Member): void {
    const members = this.#topics.get(topic);
    if (!members) return;
    members.delete(member);
    if (members.size === 0) this.#topics.delete(topic);
  }

  /**
   * A snapshot of the topic's subscribers: callers may send to them (which can close a connection
   * and so change membership) while iterating.
   */
  members(topic: string): Member[] {
    const members = this.#topics.get(topic);
    return members ? [...members] : [];
  }

  count(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  get topicCount(): number {
    return this.#topics.size;
  }

  clear(): void {
    this.#topics.clear();
  }
}
