import { describe, expect, it, vi } from 'vitest';
import type { AttestedPeer } from '../protocol/attested';
import { Roster } from './roster';

const peer = (peerId: string, userId: string, client: number, joinedAt = 1): AttestedPeer => ({
  peerId,
  userId,
  role: 'member',
  name: userId,
  instrument: '',
  client,
  joinedAt,
});

describe('Roster', () => {
  it('follows the relay: reset, join, update, leave; departed visits stay attributable', () => {
    const roster = new Roster();
    const seen: string[] = [];
    roster.events.on('joined', (p) => seen.push(`joined:${p.peerId}`));
    roster.events.on('updated', ({ peer: p }) => seen.push(`updated:${p.peerId}:${p.role}`));
    roster.events.on('left', ({ peer: p, reason }) => seen.push(`left:${p.peerId}:${reason}`));
    roster.reset(
      peer('peer-self-01', 'me', 1),
      [peer('peer-bbbb-01', 'bob', 2, 2)],
      [peer('peer-old-001', 'old', 9)],
    );
    expect(roster.peers().map((p) => p.peerId)).toEqual(['peer-bbbb-01']);
    expect(roster.byClient(9)?.userId).toBe('old');
    expect(roster.isLiveClient(9)).toBe(false);
    expect(roster.isLiveClient(2)).toBe(true);
    expect(roster.isLiveClient(1)).toBe(false); // ourselves
    roster.join(peer('peer-cccc-01', 'cat', 3, 3));
    roster.update({ ...peer('peer-cccc-01', 'cat', 3, 3), role: 'engineer' });
    roster.leave('peer-bbbb-01', 'left');
    expect(roster.byClient(2)?.userId).toBe('bob');
    expect(roster.isLiveClient(2)).toBe(false);
    expect(seen).toEqual(['joined:peer-cccc-01', 'updated:peer-cccc-01:engineer', 'left:peer-bbbb-01:left']);
  });

  it('never rebinds a Yjs client id to another user, nor lets an update change who a peer is', () => {
    const roster = new Roster();
    roster.reset(peer('peer-self-01', 'me', 1), [peer('peer-bbbb-01', 'bob', 2)], []);
    roster.join(peer('peer-evil-01', 'eve', 2)); // claims bob's client id
    expect(roster.get('peer-evil-01')).toBeUndefined();
    expect(roster.byClient(2)?.userId).toBe('bob');
    roster.update({ ...peer('peer-bbbb-01', 'eve', 2), role: 'owner' }); // another user under bob's peer id
    expect(roster.get('peer-bbbb-01')?.userId).toBe('bob');
    expect(roster.get('peer-bbbb-01')?.role).toBe('member');
  });

  it('reports peers that vanished across a reconnect as left, and updates itself', () => {
    const roster = new Roster();
    const left: string[] = [];
    roster.events.on('left', ({ peer: p }) => left.push(p.peerId));
    roster.reset(peer('peer-self-01', 'me', 1), [peer('peer-bbbb-01', 'bob', 2)], []);
    roster.reset(peer('peer-self-02', 'me', 1), [peer('peer-cccc-01', 'cat', 3)], []);
    expect(left).toEqual(['peer-bbbb-01']);
    expect(roster.self?.peerId).toBe('peer-self-02');
    roster.update({ ...peer('peer-self-02', 'me', 1), role: 'engineer' });
    expect(roster.self?.role).toBe('engineer');
  });

  it('keeps peers the relay has not listed yet after a resume, for the grace, and then lets them go', () => {
    vi.useFakeTimers();
    try {
      const roster = new Roster({ rejoinGraceMs: 10_000 });
      const seen: string[] = [];
      roster.events.on('joined', (p) => seen.push(`joined:${p.peerId}`));
      roster.events.on('left', ({ peer: p }) => seen.push(`left:${p.peerId}`));
      const me = peer('peer-self-01', 'me', 1);
      roster.reset(me, [peer('peer-bbbb-01', 'bob', 2), peer('peer-cccc-01', 'cat', 3)], []);
      // The relay restarted: we are back first, under the same peer id; nobody else is yet.
      roster.reset(me, [], []);
      expect(roster.peers().map((p) => p.peerId)).toEqual(['peer-bbbb-01', 'peer-cccc-01']);
      expect(roster.isLiveClient(2)).toBe(true);
      roster.join({ ...peer('peer-bbbb-01', 'bob', 2), joinedAt: 99 }); // Bob resumes: kept, not re-joined
      vi.advanceTimersByTime(10_000);
      expect(seen).toEqual(['left:peer-cccc-01']); // Cat never came back
      expect(roster.peers().map((p) => p.peerId)).toEqual(['peer-bbbb-01']);
      roster.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
