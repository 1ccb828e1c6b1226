import { describe, expect, it } from 'vitest';
import { tuneOpusSdp } from './sdp';

const OFFER = [
  'v=0',
  'o=- 46117 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sctp-port:5000',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=20;useinbandfec=0;stereo=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  '',
].join('\r\n');

describe('tuneOpusSdp', () => {
  const tuned = tuneOpusSdp(OFFER);
  const lines = tuned.split('\r\n');

  it('asks for 10 ms Opus packets with in-band FEC, keeping other parameters', () => {
    expect(lines).toContain('a=fmtp:111 minptime=10;useinbandfec=1;stereo=1');
    expect(lines).toContain('a=ptime:10');
    expect(lines.indexOf('a=ptime:10')).toBeGreaterThan(
      lines.indexOf('m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9'),
    );
  });

  it('leaves other codecs, the data section and the line endings alone', () => {
    expect(lines).toContain('a=fmtp:63 111/111');
    expect(tuned.split('m=audio')[0]).toBe(OFFER.split('m=audio')[0]);
    expect(tuned.endsWith('\r\n')).toBe(true);
    expect(tuned).not.toMatch(/[^\r]\n/);
  });

  it('is idempotent and replaces an existing ptime', () => {
    expect(tuneOpusSdp(tuned)).toBe(tuned);
    const withPtime = OFFER.replace('a=sendrecv', 'a=sendrecv\r\na=ptime:20\r\na=maxptime:60');
    const retuned = tuneOpusSdp(withPtime).split('\r\n');
    expect(retuned.filter((l) => l.startsWith('a=ptime'))).toEqual(['a=ptime:10']);
    expect(retuned.some((l) => l.startsWith('a=maxptime'))).toBe(false);
  });

  it('adds an fmtp line when Opus has none', () => {
    const bare = OFFER.replace('a=fmtp:111 minptime=20;useinbandfec=0;stereo=1\r\n', '');
    const out = tuneOpusSdp(bare).split('\r\n');
    expect(out[out.indexOf('a=rtpmap:111 opus/48000/2') + 1]).toBe('a=fmtp:111 minptime=10;useinbandfec=1');
  });

  it('does not touch a description without audio', () => {
    const dataOnly = OFFER.split('m=audio')[0]!;
    expect(tuneOpusSdp(dataOnly)).toBe(dataOnly);
  });
});
