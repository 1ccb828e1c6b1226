import { describe, expect, it } from 'vitest';
import { audacityLof, reaperProject, secondsText, type SessionItem } from './session-files';

const items: SessionItem[] = [
  { track: 'Mix', file: 'mix.wav', positionSamples: 0, lengthSamples: 480_000, muted: true },
  { track: '01 Ana (voice)', file: '01 Ana (voice).wav', positionSamples: 0, lengthSamples: 480_000 },
  { track: '02 Bo "B" (drums)', file: '02 Bo (drums).opus', positionSamples: 72_000, lengthSamples: 24_001 },
];

function counter(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

/** Parses the rpp's nested blocks into tracks with their item's fields (a small reader for the test). */
function parseRpp(text: string) {
  const tracks: Array<{
    name: string;
    muted: boolean;
    position: number;
    length: number;
    source: string;
    file: string;
  }> = [];
  let current: (typeof tracks)[number] | null = null;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('<')) depth++;
    if (line === '>') depth--;
    if (line.startsWith('<TRACK'))
      tracks.push((current = { name: '', muted: false, position: NaN, length: NaN, source: '', file: '' }));
    if (!current) continue;
    if (line.startsWith('NAME ') && depth === 2) current.name = line.slice(5);
    if (line === 'MUTESOLO 1 0 0') current.muted = true;
    if (line.startsWith('POSITION ')) current.position = Number(line.slice(9));
    if (line.startsWith('LENGTH ')) current.length = Number(line.slice(7));
    if (line.startsWith('<SOURCE ')) current.source = line.slice(8);
    if (line.startsWith('FILE ')) current.file = JSON.parse(line.slice(5)) as string;
  }
  expect(depth).toBe(0);
  return tracks;
}

describe('session files', () => {
  it('prints seconds as Jamulus does, 14 decimals', () => {
    expect(secondsText(72_000, 48_000)).toBe('1.50000000000000');
    expect(secondsText(1, 48_000)).toBe('0.00002083333333');
  });

  it('Reaper project: one track per file at its position, with its length, source type and mute', () => {
    const text = reaperProject(items, { sampleRate: 48_000, createdAt: 1_800_000_000, uuid: counter() });
    expect(text.split('\n')[0]).toBe('<REAPER_PROJECT 0.1 "5.0" 1800000000');
    expect(text).toContain('  SAMPLERATE 48000 0 0\n');
    const tracks = parseRpp(text);
    expect(tracks).toEqual([
      { name: '"Mix"', muted: true, position: 0, length: 10, source: 'WAVE', file: 'mix.wav' },
      {
        name: '"01 Ana (voice)"',
        muted: false,
        position: 0,
        length: 10,
        source: 'WAVE',
        file: '01 Ana (voice).wav',
      },
      {
        name: `"02 Bo 'B' (drums)"`,
        muted: false,
        position: 1.5,
        length: Number(secondsText(24_001, 48_000)),
        source: 'OPUS',
        file: '02 Bo (drums).opus',
      },
    ]);
    expect(text).toContain('TRACKID {00000000-0000-4000-8000-000000000001}');
    expect(new Set(text.match(/\{[0-9A-F-]+\}/g)).size).toBe(9); // track, item and take GUIDs all distinct
  });

  it('Audacity list of files: a line per file with its offset in seconds', () => {
    expect(audacityLof(items, { sampleRate: 48_000 })).toBe(
      'file "mix.wav" offset 0.00000000000000\n' +
        'file "01 Ana (voice).wav" offset 0.00000000000000\n' +
        'file "02 Bo (drums).opus" offset 1.50000000000000\n',
    );
  });

  it('refuses file names that would break the files', () => {
    const bad = [{ ...items[0]!, file: 'a"b.wav' }];
    expect(() => audacityLof(bad, { sampleRate: 48_000 })).toThrow(/bad file name/);
    expect(() =>
      reaperProject([{ ...items[0]!, file: 'x.mp3' }], { sampleRate: 48_000, createdAt: 0, uuid: counter() }),
    ).toThrow(/no Reaper source type/);
  });
});
