/**
 * Input effects on the player's own channel: the settings shape shared by the Effects panel (main
 * thread), the stored preference, and the capture worklet (`effects` command). Ranges are checked here,
 * once, so the worklet can trust what `parseEffectSettings` returns and a bad stored value or message is
 * refused with a reason instead of reaching the audio thread.
 */

export interface GateSettings {
  on: boolean;
  thresholdDb: number;
  attackMs: number;
  holdMs: number;
  releaseMs: number;
}
export interface EqSettings {
  on: boolean;
  lowDb: number;
  midDb: number;
  midHz: number;
  highDb: number;
}
export interface CompressorSettings {
  on: boolean;
  thresholdDb: number;
  ratio: number;
  attackMs: number;
  releaseMs: number;
  makeupDb: number;
  kneeDb: number;
}
export interface ReverbSettings {
  on: boolean;
  /** Wet level added to what you hear of yourself, 0…1. */
  mix: number;
  /** Room size 0…1 (comb feedback). */
  size: number;
}
export interface EffectSettings {
  gate: GateSettings;
  eq: EqSettings;
  compressor: CompressorSettings;
  reverb: ReverbSettings;
}

/** [min, max] of every numeric field; also the sliders' ranges. */
export const EFFECT_RANGES = {
  gate: { thresholdDb: [-90, 0], attackMs: [0.1, 50], holdMs: [0, 500], releaseMs: [5, 2000] },
  eq: { lowDb: [-15, 15], midDb: [-15, 15], midHz: [200, 5000], highDb: [-15, 15] },
  compressor: {
    thresholdDb: [-60, 0],
    ratio: [1, 20],
    attackMs: [0.1, 200],
    releaseMs: [5, 2000],
    makeupDb: [0, 24],
    kneeDb: [0, 24],
  },
  reverb: { mix: [0, 1], size: [0, 1] },
} as const;

/** Fixed corner frequencies of the shelves (Hz). */
export const EQ_LOW_SHELF_HZ = 150;
export const EQ_HIGH_SHELF_HZ = 5000;
export const EQ_MID_Q = 1;

export const PRESET_NAMES = ['voice', 'guitar', 'bass', 'keys', 'drums'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Everything bypassed, neutral values: what a new player starts with. */
export const DEFAULT_EFFECTS: EffectSettings = {
  gate: { on: false, thresholdDb: -50, attackMs: 1, holdMs: 50, releaseMs: 100 },
  eq: { on: false, lowDb: 0, midDb: 0, midHz: 1000, highDb: 0 },
  compressor: {
    on: false,
    thresholdDb: -18,
    ratio: 3,
    attackMs: 10,
    releaseMs: 150,
    makeupDb: 0,
    kneeDb: 6,
  },
  reverb: { on: false, mix: 0.25, size: 0.5 },
};

/** Starting points per instrument (all effects on; the reverb is only ever in your own monitor). */
export const PRESETS: Record<PresetName, EffectSettings> = {
  voice: {
    gate: { on: true, thresholdDb: -50, attackMs: 1, holdMs: 80, releaseMs: 150 },
    eq: { on: true, lowDb: -4, midDb: 2, midHz: 3000, highDb: 2 },
    compressor: { on: true, thresholdDb: -20, ratio: 3, attackMs: 5, releaseMs: 120, makeupDb: 4, kneeDb: 6 },
    reverb: { on: true, mix: 0.2, size: 0.5 },
  },
  guitar: {
    gate: { on: true, thresholdDb: -55, attackMs: 0.5, holdMs: 50, releaseMs: 200 },
    eq: { on: true, lowDb: -2, midDb: 2, midHz: 1500, highDb: 1 },
    compressor: {
      on: true,
      thresholdDb: -18,
      ratio: 2.5,
      attackMs: 15,
      releaseMs: 200,
      makeupDb: 3,
      kneeDb: 6,
    },
    reverb: { on: true, mix: 0.2, size: 0.6 },
  },
  bass: {
    gate: { on: true, thresholdDb: -60, attackMs: 1, holdMs: 60, releaseMs: 150 },
    eq: { on: true, lowDb: 3, midDb: -3, midHz: 400, highDb: -2 },
    compressor: {
      on: true,
      thresholdDb: -20,
      ratio: 4,
      attackMs: 10,
      releaseMs: 180,
      makeupDb: 5,
      kneeDb: 6,
    },
    reverb: { on: false, mix: 0.1, size: 0.3 },
  },
  keys: {
    gate: { on: false, thresholdDb: -65, attackMs: 1, holdMs: 50, releaseMs: 200 },
    eq: { on: true, lowDb: 0, midDb: -1, midHz: 800, highDb: 2 },
    compressor: {
      on: true,
      thresholdDb: -16,
      ratio: 2,
      attackMs: 20,
      releaseMs: 250,
      makeupDb: 2,
      kneeDb: 8,
    },
    reverb: { on: true, mix: 0.25, size: 0.7 },
  },
  drums: {
    gate: { on: true, thresholdDb: -40, attackMs: 0.2, holdMs: 30, releaseMs: 80 },
    eq: { on: true, lowDb: 3, midDb: -4, midHz: 500, highDb: 3 },
    compressor: { on: true, thresholdDb: -15, ratio: 4, attackMs: 2, releaseMs: 80, makeupDb: 4, kneeDb: 4 },
    reverb: { on: true, mix: 0.15, size: 0.4 },
  },
};

export type ParseResult = { ok: true; settings: EffectSettings } | { ok: false; reason: string };

/**
 * Checks a value (a port message's `settings`, a stored preference) field by field. Returns a fresh
 * object holding only the known fields, or the first problem in words a person can act on.
 */
export function parseEffectSettings(value: unknown): ParseResult {
  if (!isRecord(value)) return { ok: false, reason: 'effect settings must be an object' };
  const out: Record<string, Record<string, number | boolean>> = {};
  for (const [effect, fields] of Object.entries(EFFECT_RANGES)) {
    const v = value[effect];
    if (!isRecord(v)) return { ok: false, reason: `${effect}: settings missing` };
    if (typeof v.on !== 'boolean') return { ok: false, reason: `${effect}: "on" must be true or false` };
    const section: Record<string, number | boolean> = { on: v.on };
    for (const [field, [min, max]] of Object.entries(fields as Record<string, readonly [number, number]>)) {
      const n = v[field];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max)
        return { ok: false, reason: `${effect}.${field} must be a number from ${min} to ${max}` };
      section[field] = n;
    }
    out[effect] = section;
  }
  return { ok: true, settings: out as unknown as EffectSettings };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
