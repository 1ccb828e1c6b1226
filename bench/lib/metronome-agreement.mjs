/**
 * How closely players' metronome clicks agree: each player's clicks as its page rendered them, placed
 * on the shared timeline's clock (`sharedMs`: when the click is heard, mapped through that player's
 * offset to the timeline's clock). A beat every player rendered gives one spread (latest − earliest)
 * and one deviation per player (its time − the beat's median over players).
 */
import { percentile } from './stats.mjs';

/**
 * @param {Array<Array<{ beat: number, sharedMs: number }>>} players clicks per player
 * @param {{ fromBeat?: number }} [options] ignore beats before this one (while clock estimates settle)
 */
export function clickAgreement(players, { fromBeat = Number.NEGATIVE_INFINITY } = {}) {
  const byBeat = new Map();
  players.forEach((clicks, index) => {
    for (const { beat, sharedMs } of clicks) {
      if (beat < fromBeat) continue;
      let times = byBeat.get(beat);
      if (!times) byBeat.set(beat, (times = new Array(players.length).fill(null)));
      // A beat rendered twice by one player (cannot happen: the worklet starts each beat once) keeps the first.
      if (times[index] === null) times[index] = sharedMs;
    }
  });
  const spreads = [];
  const deviations = players.map(() => []);
  let missing = 0;
  for (const times of byBeat.values()) {
    if (times.some((t) => t === null)) {
      missing++;
      continue;
    }
    spreads.push(Math.max(...times) - Math.min(...times));
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    times.forEach((t, i) => deviations[i].push(t - median));
  }
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    beats: spreads.length,
    beatsMissingSomewhere: missing,
    spreadP50Ms: round(percentile(spreads, 50)),
    spreadP95Ms: round(percentile(spreads, 95)),
    spreadMaxMs: round(spreads.length ? Math.max(...spreads) : Number.NaN),
    perPlayer: deviations.map((d) => ({
      meanMs: round(d.reduce((a, b) => a + b, 0) / Math.max(1, d.length)),
      maxAbsMs: round(d.length ? Math.max(...d.map(Math.abs)) : Number.NaN),
    })),
  };
}
