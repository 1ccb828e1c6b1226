/**
 * SDP munging for the fallback audio path (a WebRTC audio track): Opus in 10 ms packets with in-band
 * FEC. Browsers pick the packet time they send from the remote description's `a=ptime` and the Opus
 * `minptime`, so each side writes them into its own offer or answer. Only `m=audio` sections are
 * touched; the data-channel section and everything else pass through unchanged. Idempotent.
 */

export interface OpusTuning {
  /** Packet time to ask for, ms (10 is the smallest Opus size browsers send). */
  ptimeMs: number;
}

const OPUS_RTPMAP = /^a=rtpmap:(\d+) opus\/48000(\/\d+)?$/i;

/** Returns `sdp` with every audio section tuned for low-latency Opus. */
export function tuneOpusSdp(sdp: string, tuning: OpusTuning = { ptimeMs: 10 }): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    out.push(...(section[0]?.startsWith('m=audio') ? tuneAudioSection(section, tuning) : section));
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  if (trailing !== undefined) out.push(trailing);
  return out.join(eol);
}

function tuneAudioSection(section: string[], tuning: OpusTuning): string[] {
  const payloads = section.flatMap((line) => {
    const match = OPUS_RTPMAP.exec(line);
    return match ? [match[1]!] : [];
  });
  if (payloads.length === 0) return section;
  const lines = section.filter((line) => !line.startsWith('a=ptime:') && !line.startsWith('a=maxptime:'));
  for (const pt of payloads) {
    const fmtp = lines.findIndex((line) => line.startsWith(`a=fmtp:${pt} `));
    if (fmtp >= 0) {
      lines[fmtp] = `a=fmtp:${pt} ${withParams(lines[fmtp]!.slice(`a=fmtp:${pt} `.length), tuning)}`;
    } else {
      const rtpmap = lines.findIndex((line) => line.startsWith(`a=rtpmap:${pt} `));
      lines.splice(rtpmap + 1, 0, `a=fmtp:${pt} ${withParams('', tuning)}`);
    }
  }
  // Media-level attribute: its position among the section's `a=` lines does not matter.
  lines.push(`a=ptime:${tuning.ptimeMs}`);
  return lines;
}

function withParams(existing: string, tuning: OpusTuning): string {
  const params = new Map<string, string>();
  for (const part of existing.split(';')) {
    const [key, value = ''] = part.trim().split('=');
    if (key) params.set(key.trim(), value.trim());
  }
  params.set('minptime', String(tuning.ptimeMs));
  params.set('useinbandfec', '1');
  return [...params].map(([key, value]) => (value ? `${key}=${value}` : key)).join(';');
}
