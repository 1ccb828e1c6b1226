import { describe, expect, it } from 'vitest';
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

describe('Roster recording flags (relay-attested)', () => {
  it('takes recorders from subscribed, changes them on peer-recording, keeps them through an update', () => {
    const roster = new Roster({ rejoinGraceMs: 0 });
    const heard: string[] = [];
    roster.events.on('recording', ({ peer: p, on }) => heard.push(`${p.peerId}:${on}`));
    roster.reset(
      { ...peer('peer-self-01', 'me', 1), recording: false },
      [{ ...peer('peer-bbbb-01', 'bob', 2, 2), recording: true }, peer('peer-cccc-01', 'cat', 3, 3)],
      [],
    );
    expect(roster.peers().map((p) => [p.peerId, p.recording])).toEqual([
      ['peer-bbbb-01', true],
      ['peer-cccc-01', false],
    ]);
    expect(roster.self?.recording).toBe(false);
    roster.setRecording('peer-self-01', true);
    roster.setRecording('peer-cccc-01', true);
    roster.setRecording('peer-cccc-01', true); // a repeat changes nothing
    roster.setRecording('peer-gone-01', true); // not in the room: ignored
    expect(heard).toEqual(['peer-self-01:true', 'peer-cccc-01:true']);
    expect(roster.recorders().map((p) => p.peerId)).toEqual(['peer-self-01', 'peer-bbbb-01', 'peer-cccc-01']);
    // A role change keeps the flag; the identity stays attributable by client id.
    roster.update({ ...peer('peer-bbbb-01', 'bob', 2, 2), role: 'engineer' });
    expect(roster.get('peer-bbbb-01')).toMatchObject({ role: 'engineer', recording: true });
    expect(roster.isLiveClient(2)).toBe(true);
    expect(roster.isLiveClient(3)).toBe(true);
    roster.setRecording('peer-bbbb-01', false);
    expect(roster.get('peer-bbbb-01')?.recording).toBe(false);
    // A joiner never starts recording on its own word; a leaver takes its flag with it.
    roster.join({ ...peer('peer-dddd-01', 'dan', 4, 4), recording: true } as AttestedPeer);
    expect(roster.get('peer-dddd-01')?.recording).toBe(false);
    roster.leave('peer-cccc-01', 'left');
    expect(roster.recorders().map((p) => p.peerId)).toEqual(['peer-self-01']);
  });
});
