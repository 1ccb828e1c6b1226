import { describe, expect, it } from 'vitest';
import { describeInputError, inputConstraints } from './devices';

describe('input devices', () => {
  it('turns browser processing off by default and on with one switch', () => {
    const music = inputConstraints({ channels: 2, voiceProcessing: false }).audio as MediaTrackConstraints;
    expect(music).toMatchObject({ echoCancellation: false, noiseSuppression: false, autoGainControl: false });
    expect(music.channelCount).toEqual({ ideal: 2 });
    expect(music.deviceId).toBeUndefined();
    const speech = inputConstraints({ channels: 1, voiceProcessing: true, deviceId: 'mic-2' })
      .audio as MediaTrackConstraints;
    expect(speech).toMatchObject({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });
    expect(speech.deviceId).toEqual({ exact: 'mic-2' });
  });

  it('explains denied, missing and busy microphones', () => {
    expect(describeInputError({ name: 'NotAllowedError' })).toMatchObject({ code: 'denied' });
    expect(describeInputError({ name: 'NotAllowedError' }).message).toMatch(/denied/);
    expect(describeInputError({ name: 'NotFoundError' })).toMatchObject({ code: 'missing' });
    expect(describeInputError({ name: 'NotReadableError' })).toMatchObject({ code: 'busy' });
    expect(describeInputError(new Error('?'))).toMatchObject({ code: 'unknown' });
  });
});
