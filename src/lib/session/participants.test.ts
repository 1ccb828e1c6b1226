import { describe, expect, it } from 'vitest';
import type { AttestedPeer } from '../protocol/attested';
import { Roster } from '../net/roster';
import { Participants } from './participants';

let client = 1;
function peer(
  peerId: string,
  userId: string,
  joinedAt: number,
  role: AttestedPeer['role'] = 'member',
): AttestedPeer {
  return { peerId, userId, role, name: userId.toUpperCase(), instrument: '', client: client++, joinedAt };
}

function setup() {
  // No rejoin grace: a reset that drops a peer drops it at once (roster.test.ts covers the grace).
  const roster = new Roster({ rejoinGraceMs: 0 });
  const self = peer('self-peer-0', 'me', 1);
  const ann = peer('ann-peer-01', 'ann', 30);
  const bob = peer('bob-peer-01', 'bob', 20);
  roster.reset(self, [ann, bob], []);
  const participants = new Participants({ roster });
  const changes: string[] = [];
  const left: string[] = [];
  participants.events.on('change', ({ peerId, field }) => changes.push(`${peerId}:${field}`));
  participants.events.on('left', ({ participant, reason }) =>
    left.push(`${participant.identity.peerId}:${reason}`),
  );
  return { roster, participants, self, ann, bob, changes, left };
}

describe('Participants', () => {
  it('starts from the roster: one record per live remote peer, ordered by joinedAt, never ourselves', () => {
    const { participants } = setup();
    expect(participants.list().map((p) => p.identity.userId)).toEqual(['bob', 'ann']);
    expect(participants.get('self-peer-0')).toBeUndefined();
    expect(participants.self?.userId).toBe('me');
    expect(participants.get('ann-peer-01')).toMatchObject({
      link: null,
      audio: null,
      slot: null,
      route: null,
      network: null,
    });
  });

  it('follows joined / updated / left, and finds a user’s visits', () => {
    const { roster, participants, changes, left, ann } = setup();
    const ann2 = peer('ann-peer-02', 'ann', 40);
    const joined: string[] = [];
    participants.events.on('joined', (p) => joined.push(p.identity.peerId));
    roster.join(ann2);
    expect(joined).toEqual(['ann-peer-02']);
    expect(participants.byUser('ann').map((p) => p.identity.peerId)).toEqual(['ann-peer-01', 'ann-peer-02']);
    roster.update({ ...ann, role: 'engineer' });
    expect(participants.get('ann-peer-01')!.identity.role).toBe('engineer');
    roster.leave('ann-peer-01', 'closed');
    expect(participants.get('ann-peer-01')).toBeUndefined();
    expect(participants.byUser('ann')).toHaveLength(1);
    expect(left).toEqual(['ann-peer-01:closed']);
    expect(changes).toEqual(['ann-peer-02:identity', 'ann-peer-01:identity', 'ann-peer-01:left']);
  });

  it('keeps a record’s state across a reset that still lists the peer; drops the others as gone', () => {
    const { roster, participants, self, bob, left } = setup();
    participants.setSlot('bob-peer-01', 3);
    roster.reset(self, [bob], []);
    expect(participants.get('bob-peer-01')!.slot).toBe(3);
    expect(participants.get('ann-peer-01')).toBeUndefined();
    expect(left).toEqual(['ann-peer-01:gone']); // once, though the roster also reports it
  });

  it('ignores values for a peer the roster does not list, and emits only real changes', () => {
    const { participants, changes } = setup();
    expect(participants.setAdvertised('stranger-01', { paths: ['data'], on: true })).toBe(false);
    expect(participants.setAdvertised('bob-peer-01', { paths: ['data', 'track'], on: true })).toBe(true);
    participants.setAdvertised('bob-peer-01', { paths: ['data', 'track'], on: true });
    participants.setAdvertised('bob-peer-01', { paths: ['data', 'track'], on: false });
    participants.setRoute('bob-peer-01', 'data');
    participants.setRoute('bob-peer-01', 'data');
    expect(participants.setNetwork('stranger-01', 'relay')).toBe(false);
    participants.setNetwork('bob-peer-01', 'relay');
    participants.setNetwork('bob-peer-01', 'relay');
    expect(changes).toEqual([
      'bob-peer-01:audio',
      'bob-peer-01:audio',
      'bob-peer-01:route',
      'bob-peer-01:network',
    ]);
    expect(participants.get('bob-peer-01')!.network).toBe('relay');
    expect(participants.get('bob-peer-01')!.audio).toEqual({ paths: ['data', 'track'], on: false });
    expect(participants.get('stranger-01')).toBeUndefined();
  });

  it('disposes idempotently and stops following the roster', () => {
    const { roster, participants, changes } = setup();
    participants.dispose();
    participants.dispose();
    roster.join(peer('carl-peer-1', 'carl', 50));
    expect(participants.list()).toEqual([]);
    expect(changes).toEqual([]);
    expect(participants.setSlot('bob-peer-01', 1)).toBe(false);
  });
});
