/**
 * Microphone and speaker access with musician defaults: echo cancellation, noise suppression and auto
 * gain off (they smear transients and add delay), one switch turns them on for laptop mics and speech.
 * Failures become sentences a person can act on.
 */
export interface InputOptions {
  deviceId?: string | undefined;
  channels: 1 | 2;
  /** Echo cancellation, noise suppression and auto gain together. */
  voiceProcessing: boolean;
}

export class DeviceError extends Error {
  constructor(
    readonly code: 'denied' | 'missing' | 'busy' | 'unsupported' | 'unknown',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeviceError';
  }
}

export function inputConstraints(options: InputOptions): MediaStreamConstraints {
  const processing = options.voiceProcessing;
  // `latency` is a Media Capture constraint Chromium honours that TypeScript's DOM types lack.
  const audio: MediaTrackConstraints & { latency?: ConstrainDouble } = {
    ...(options.deviceId ? { deviceId: { exact: options.deviceId } } : {}),
    channelCount: { ideal: options.channels },
    sampleRate: { ideal: 48_000 },
    echoCancellation: processing,
    noiseSuppression: processing,
    autoGainControl: processing,
    // Ask for the smallest capture buffer the device can do.
    latency: { ideal: 0 },
  };
  return { audio, video: false };
}

export async function openInput(options: InputOptions): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new DeviceError(
      'unsupported',
      'This browser cannot capture audio here. Open Bandmesh over https (or on localhost) in a current browser.',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia(inputConstraints(options));
  } catch (error) {
    throw describeInputError(error);
  }
}

export function describeInputError(error: unknown): DeviceError {
  const name = (error as { name?: string } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new DeviceError(
        'denied',
        'Microphone access was denied. Allow it in the address bar’s site settings, then try again.',
        { cause: error },
      );
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new DeviceError(
        'missing',
        'No microphone was found (or the chosen one is gone). Plug one in or pick another input.',
        { cause: error },
      );
    case 'NotReadableError':
    case 'AbortError':
      return new DeviceError(
        'busy',
        'The microphone is in use by another program or could not be started. Close it there and try again.',
        { cause: error },
      );
    default:
      return new DeviceError('unknown', `Could not open the microphone: ${String(error)}`, { cause: error });
  }
}

export interface DeviceList {
  inputs: Array<{ id: string; label: string }>;
  outputs: Array<{ id: string; label: string }>;
  /** Whether the output can be chosen (AudioContext.setSinkId). */
  canChooseOutput: boolean;
}

export async function listDevices(context: AudioContext | null): Promise<DeviceList> {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  const pick = (kind: MediaDeviceKind) =>
    devices
      .filter((d) => d.kind === kind)
      .map((d, i) => ({
        id: d.deviceId,
        label: d.label || `${kind === 'audioinput' ? 'Input' : 'Output'} ${i + 1}`,
      }));
  return {
    inputs: pick('audioinput'),
    outputs: pick('audiooutput'),
    canChooseOutput: !!context && 'setSinkId' in context,
  };
}
