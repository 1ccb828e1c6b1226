import { describe, expect, it } from 'vitest';
import { dataPathDelayMs, trackPathDelayMs } from './latency';

const device = { output: 5, base: 3 };

describe('latency estimates', () => {
  it('data path: RTT/2 + jitter buffer + one of the REMOTE’s frames + codec lookahead + devices', () => {
    // 10 ms frames (480 samples) at the remote, whatever ours are.
    expect(dataPathDelayMs({ rttMs: 4, depthMs: 10, remoteFrameSamples: 480, codec: 'opus', device })).toBe(
      2 + 10 + 10 + 2.5 + 5 + 3,
    );
    expect(dataPathDelayMs({ rttMs: 4, depthMs: 10, remoteFrameSamples: 120, codec: 'pcm', device })).toBe(
      2 + 10 + 2.5 + 0 + 5 + 3,
    );
  });

  it('track path: network + one 10 ms packet + the browser Opus lookahead + devices', () => {
    expect(trackPathDelayMs({ networkMs: 35, device })).toBe(35 + 10 + 6.5 + 5 + 3);
  });
});
