/**
 * Session files a DAW opens with the exported stems lined up, written as the Jamulus server's recorder
 * writes them (src/recorder/creaperproject.cpp and CJamRecorder::AudacityLofFromCurrentSession): a
 * Reaper project with one TRACK per player holding one ITEM (POSITION/LENGTH in seconds, 14 decimals,
 * a WAVE source by relative file name), and an Audacity list-of-files with `file "<name>" offset <s>`
 * per line. Two departures: names are quoted (ours have spaces; Jamulus's never do), and an Opus file
 * is a `<SOURCE OPUS` block (Jamulus writes only WAV). The session files and the stems sit side by
 * side in the zip, so file names are relative.
 */

export interface SessionItem {
  /** Track name shown in the DAW. */
  track: string;
  /** File name next to the session file (no path, no double quote). */
  file: string;
  /** Where the file's first sample goes on the timeline, in samples. */
  positionSamples: number;
  /** Samples in the file. */
  lengthSamples: number;
  /** A track the DAW should hold muted (the mix next to the stems it was made of). */
  muted?: boolean;
}

/** Seconds with 14 decimals, as the Jamulus recorder prints them (QString::number(x, 'f', 14)). */
export function secondsText(samples: number, sampleRate: number): string {
  return (samples / sampleRate).toFixed(14);
}

function checkItem(item: SessionItem): void {
  if (item.file.includes('"') || /[\r\n/\\]/.test(item.file))
    throw new RangeError(`session file: bad file name ${JSON.stringify(item.file)}`);
  if (!Number.isInteger(item.positionSamples) || item.positionSamples < 0)
    throw new RangeError(`session file: bad position ${item.positionSamples}`);
}

/** Reaper's source block type for a file. */
function reaperSourceType(file: string): string {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'wav') return 'WAVE';
  if (ext === 'opus' || ext === 'ogg') return 'OPUS';
  throw new RangeError(`session file: no Reaper source type for ${file}`);
}

/** Reaper-style GUID text, `{8-4-4-4-12}` upper-case. */
export function reaperGuid(uuid: string): string {
  return `{${uuid.toUpperCase()}}`;
}

/**
 * The `.rpp` text. `uuid` makes the track and item GUIDs (crypto.randomUUID in the export; fixed in
 * tests); `createdAt` is the project's time stamp (Unix seconds).
 */
export function reaperProject(
  items: readonly SessionItem[],
  options: { sampleRate: number; createdAt: number; uuid: () => string },
): string {
  const { sampleRate, uuid } = options;
  const lines: string[] = [];
  lines.push(`<REAPER_PROJECT 0.1 "5.0" ${Math.floor(options.createdAt)}`);
  lines.push('  RECORD_PATH "" ""');
  lines.push(`  SAMPLERATE ${sampleRate} 0 0`);
  lines.push('  TEMPO 120 4 4');
  let iid = 0;
  for (const item of items) {
    checkItem(item);
    const trackId = reaperGuid(uuid());
    const name = item.track.replace(/[\r\n]/g, ' ');
    lines.push(`  <TRACK ${trackId}`);
    lines.push(`    NAME "${name.replace(/"/g, "'")}"`);
    lines.push(`    TRACKID ${trackId}`);
    if (item.muted) lines.push('    MUTESOLO 1 0 0');
    lines.push('    <ITEM ');
    lines.push('      FADEIN 0 0 0 0 0 0');
    lines.push('      FADEOUT 0 0 0 0 0 0');
    lines.push(`      POSITION ${secondsText(item.positionSamples, sampleRate)}`);
    lines.push(`      LENGTH ${secondsText(item.lengthSamples, sampleRate)}`);
    lines.push(`      IGUID ${reaperGuid(uuid())}`);
    lines.push(`      IID ${iid++}`);
    lines.push(`      NAME "${name.replace(/"/g, "'")} (1)"`);
    lines.push(`      GUID ${reaperGuid(uuid())}`);
    lines.push(`      <SOURCE ${reaperSourceType(item.file)}`);
    lines.push(`        FILE "${item.file}"`);
    lines.push('      >');
    lines.push('    >');
    lines.push('  >');
  }
  lines.push('>');
  return lines.join('\n') + '\n';
}

/** The Audacity `.lof` text: one `file "<name>" offset <seconds>` line per item. */
export function audacityLof(items: readonly SessionItem[], options: { sampleRate: number }): string {
  return items
    .map((item) => {
      checkItem(item);
      return `file "${item.file}" offset ${secondsText(item.positionSamples, options.sampleRate)}\n`;
    })
    .join('');
}
