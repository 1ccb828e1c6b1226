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
