import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startPulseAudio } from '../../scripts/lib/pulseaudio.mjs';

/** `pactl info` against one server only (PULSE_SERVER), never the machine's own. */
function pactlInfo(server: string): { status: number | null; out: string } {
  const result = spawnSync('pactl', ['info'], {
    env: { ...process.env, PULSE_SERVER: server },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('startPulseAudio (the Firefox e2e player’s sound server)', () => {
  it('serves a null sink on a private socket, and dispose() stops it and removes its directory, once', async () => {
    const pulse = await startPulseAudio();
    const socket = pulse.server.replace(/^unix:/, '');
    const info = pactlInfo(pulse.server);
    expect(info.status).toBe(0);
    expect(info.out).toMatch(/Default Sink: bandmesh_test/);

    await Promise.all([pulse.dispose(), pulse.dispose()]);
    expect(existsSync(socket)).toBe(false);
    expect(pactlInfo(pulse.server).status).not.toBe(0);
    await pulse.dispose();
  });

  it('runs two servers side by side without sharing anything', async () => {
    const [a, b] = await Promise.all([startPulseAudio(), startPulseAudio()]);
    try {
      expect(a.server).not.toBe(b.server);
      await a.dispose();
      expect(pactlInfo(b.server).status).toBe(0);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });
});
