/**
 * Every live studio room, by topic. A room exists exactly while it has a seat (live or suspended):
 * it is created by the first admission and dropped (with its `past`) when the last seat leaves or
 * its grace ends, so memory does not grow with rooms that were used once and a reopened room
 * starts clean.
 */
import { studioTopic } from '../../../src/lib/protocol/ticket.js';
import { Room, type AdmitRequest, type AdmitResult, type RoomMember } from './room.js';

export class RoomRegistry<M extends RoomMember> {
  readonly #rooms = new Map<string, Room<M>>();
  readonly #now: () => number;
  readonly #onChange: (topic: string) => void;

  /** `onChange` hears every membership change of every room (see {@link Room}). */
  constructor(now: () => number = Date.now, onChange: (topic: string) => void = () => undefined) {
    this.#now = now;
    this.#onChange = onChange;
  }

  get(topic: string): Room<M> | undefined {
    return this.#rooms.get(topic);
  }

  forStudio(studioId: string): Room<M> | undefined {
    return this.#rooms.get(studioTopic(studioId));
  }

  admit(topic: string, request: AdmitRequest<M>): AdmitResult<M> {
    let room = this.#rooms.get(topic);
    if (!room) {
      room = new Room<M>(topic, this.#now, this.#onChange);
      this.#rooms.set(topic, room);
    }
    const result = room.admit(request);
    this.#dropIfEmpty(room);
    return result;
  }

  leave(topic: string, member: M, reason?: string): void {
    const room = this.#rooms.get(topic);
    if (!room) return;
    room.leave(member, reason);
    this.#dropIfEmpty(room);
  }

  /** The member's socket dropped: its seat waits `graceMs` for a resume (see {@link Room.suspend}). */
  suspend(topic: string, member: M, graceMs: number): void {
    const room = this.#rooms.get(topic);
    if (!room) return;
    room.suspend(member, graceMs, () => this.#dropIfEmpty(room));
    this.#dropIfEmpty(room);
  }

  /** Runs `change` on the studio's room (if live) and drops the room if it emptied. */
  withStudio<T>(studioId: string, change: (room: Room<M>) => T): T | undefined {
    const room = this.forStudio(studioId);
    if (!room) return undefined;
    try {
      return change(room);
    } finally {
      this.#dropIfEmpty(room);
    }
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Seats (live and suspended) over all rooms. */
  get peerCount(): number {
    let count = 0;
    for (const room of this.#rooms.values()) count += room.size;
    return count;
  }

  /** Seats per live room, keyed by studio id (topics are `studio/<id>`), for the public directory. */
  studioSeats(): Record<string, number> {
    const seats: Record<string, number> = {};
    for (const [topic, room] of this.#rooms) {
      if (topic.startsWith('studio/')) seats[topic.slice('studio/'.length)] = room.size;
    }
    return seats;
  }

  clear(): void {
    for (const room of this.#rooms.values()) room.dispose();
    this.#rooms.clear();
  }

  #dropIfEmpty(room: Room<M>): void {
    if (room.size === 0 && this.#rooms.get(room.topic) === room) this.#rooms.delete(room.topic);
  }
}
