import { describe, expect, it } from 'vitest';
import type { RoomMode } from '../../../src/lib/protocol/sfu.js';
import { decideRoomMode, type ModeInputs } from './room-mode.js';

const base: ModeInputs = {
  previous: 'mesh',
  players: 1,
  unreachable: false,
  forced: null,
  sfuEnabled: true,
  meshLimit: 6,
  meshHysteresis: 1,
};

/** The mode after each player count in turn, starting from the mesh. */
function walk(counts: number[], inputs: Partial<ModeInputs> = {}): RoomMode[] {
  let previous: RoomMode = 'mesh';
  return counts.map((players) => (previous = decideRoomMode({ ...base, ...inputs, previous, players })));
}

describe('decideRoomMode', () => {
  it('goes to the SFU past the mesh limit and back only below it by the hysteresis', () => {
    expect(walk([5, 6, 7, 6, 5, 6, 7])).toEqual(['mesh', 'mesh', 'sfu', 'sfu', 'mesh', 'mesh', 'sfu']);
    expect(walk([3, 2, 3, 2, 1, 2, 3], { meshLimit: 2, meshHysteresis: 1 })).toEqual([
      'sfu',
      'sfu',
      'sfu',
      'sfu',
      'mesh',
      'mesh',
      'sfu',
    ]);
    expect(walk([8, 6, 5, 4], { meshHysteresis: 2 })).toEqual(['sfu', 'sfu', 'sfu', 'mesh']);
    expect(walk([7, 6, 7], { meshHysteresis: 0 })).toEqual(['sfu', 'mesh', 'sfu']);
  });

  it('uses the SFU while an unreachable request stands, then follows the count', () => {
    expect(decideRoomMode({ ...base, players: 2, unreachable: true })).toBe('sfu');
    expect(decideRoomMode({ ...base, previous: 'sfu', players: 2 })).toBe('mesh');
    expect(decideRoomMode({ ...base, previous: 'sfu', players: 6 })).toBe('sfu');
  });

  it('a forced mode wins over everything but a disabled SFU', () => {
    expect(decideRoomMode({ ...base, players: 2, forced: 'sfu' })).toBe('sfu');
    expect(decideRoomMode({ ...base, players: 20, unreachable: true, forced: 'mesh' })).toBe('mesh');
    expect(decideRoomMode({ ...base, players: 20, forced: 'sfu', sfuEnabled: false })).toBe('mesh');
    expect(decideRoomMode({ ...base, players: 20, unreachable: true, sfuEnabled: false })).toBe('mesh');
  });
});
