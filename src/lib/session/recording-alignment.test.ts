import { describe, expect, it } from 'vitest';
import { ClockOffset } from '../audio/worker/clock-offset';
import { RecordForwarder } from '../audio/worker/record-forward';
import type { CaptureAnchor } from '../protocol/link-ping';
import type { ClockAnchor, FromNet } from '../protocol/recording';
import { TrackPlacer, epochToTakeSample } from '../recording/alignment';

/*
 * Here, not in recording/: this simulation joins the audio Worker's clock estimate and forwarder
 * (audio/) to the recorder's placement (recording/), and session/ is the folder that composes both.
 * The arithmetic of epochToTakeSample and TrackPlacer alone is tested in recording/alignment.test.ts.
 */

/** A seeded generator (mulberry32): the simulated clocks and network are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * End to end, in Node: a sender and a receiver with their own clocks, run on a common true time t (ms).
 *
 * - The sender's epoch clock reads t + 123.4 ms, drifting 10 ppm; its audio clock runs 30 ppm fast; its
 *   wire senderTime starts near 2^32 (it wraps during the run). Once a second it takes a capture
 *   anchor whose epoch time is off by up to ±0.3 ms (getOutputTimestamp's jitter).
 * - The receiver's audio clock runs 20 ppm slow; its recorder's clock anchor is refreshed each second,
 *   with the same ±0.3 ms jitter. Every 500 ms it pings the sender over a path with asymmetric jitter
 *   (upstream 4 ms + exponential queueing of mean 2 ms, downstream 4 ms + up to 0.3 ms) and feeds the
 *   exchange to clock-offset.ts.
 * - The sender's 2.5 ms frames arrive 5…25 ms late and go through the Worker's RecordForwarder (its
 *   capture-time stamping and 50 ms batching), then through epochToTakeSample and a TrackPlacer as the
 *   recorder places them.
 *
 * Every chunk must land within 1 ms of the take sample at which its first sample was truly captured.
 */
describe('alignment, end to end', () => {
  it('places a remote player’s frames within 1 ms of their true capture time', () => {
    const rnd = random(42);
    const jitter = (ms: number) => (2 * rnd() - 1) * ms;
    const T0 = 1_765_000_000_000; // true time of the run's start

    // Sender: epoch clock, audio clock (capture sample k at true time), wire senderTime of sample k.
    const senderEpoch = (t: number) => t + 123.4 + 10e-6 * (t - T0);
    const senderStart = T0 - 2000; // its audio started 2 s before the run
    const senderRate = 48 * (1 + 30e-6); // samples per true ms
    const captureTime = (k: number) => senderStart + k / senderRate;
    const base = 0xffff_ff00 - 48 * 2000; // senderTime of capture sample 0: wraps ~2 s into the run
    const senderTime = (k: number) => (base + k) >>> 0;
    const senderAnchor = (t: number): CaptureAnchor => {
      const k = Math.floor((t - senderStart) * senderRate);
      return { senderTime: senderTime(k), epochMs: senderEpoch(captureTime(k)) + jitter(0.3) };
    };

    // Receiver: its epoch clock is true time; context frame f plays at true time.
    const receiverStart = T0 - 500;
    const receiverRate = 48 * (1 - 20e-6);
    const contextFrameAt = (t: number) => (t - receiverStart) * receiverRate;
    const localAnchor = (t: number): ClockAnchor => {
      const contextFrame = Math.round(contextFrameAt(t));
      return { contextFrame, epochMs: receiverStart + contextFrame / receiverRate + jitter(0.3) };
    };

    const clock = new ClockOffset();
    const ping = (t: number) => {
      const there = t + 4 - 2 * Math.log(1 - rnd());
      const back = there + 4 + 0.3 * rnd();
      clock.add(t, senderEpoch(there), back);
    };

    let anchor = senderAnchor(T0);
    const messages: FromNet[] = [];
    const forwarder = new RecordForwarder({
      port: { postMessage: (m) => void messages.push(m), close: () => {} },
      clockOf: () => {
        const estimate = clock.estimate();
        return estimate ? { anchor, ...estimate } : null;
      },
      toEpoch: (t) => t,
      batchMs: 3_600_000, // flushed by the simulation every 50 ms
    });

    // Warm-up: the link measured the clock for a few seconds before the take starts.
    for (let t = T0 - 5000; t < T0; t += 500) ping(t);
    let take = localAnchor(T0);
    const startContextFrame = take.contextFrame;
    const placer = new TrackPlacer();
    const errorsMs: number[] = [];

    const N = 120;
    const RUN_MS = 60_000;
    let k = Math.ceil(((T0 - senderStart) * senderRate) / N) * N; // first whole frame in the run
    /** Capture index of the next chunk's first sample (nothing is lost: chunks follow each other). */
    let chunkK = k;
    const planes = [new Float32Array(N)];
    for (let t = T0, nextPing = T0, nextSecond = T0 + 1000, nextFlush = T0 + 50; t < T0 + RUN_MS; t += 2.5) {
      if (t >= nextPing) {
        ping(t);
        nextPing += 500;
      }
      if (t >= nextSecond) {
        anchor = senderAnchor(t); // its latest pong carries the anchor taken this second
        take = localAnchor(t); // the recorder's clock message
        nextSecond += 1000;
      }
      // Every frame captured by now (plus network delay) arrives.
      while (captureTime(k + N) + 5 + 20 * rnd() <= t) {
        const arrival = captureTime(k + N) + 5 + 20 * rnd();
        forwarder.push(
          'sender',
          {
            seq: k / N,
            senderTime: senderTime(k),
            arrivalTime: arrival,
            frameSamples: N,
            channels: 1,
            flags: 0,
          },
          planes,
        );
        k += N;
      }
      if (t >= nextFlush) {
        forwarder.flush();
        for (const chunk of messages.splice(0).flatMap((m) => m.chunks)) {
          expect(chunk.captureEpochMs).not.toBeNull();
          const computed = epochToTakeSample(take, chunk.captureEpochMs!, startContextFrame);
          const at = placer.place(computed, chunk.frames);
          // The truth: when the chunk's first sample was captured, as a take sample of the receiver.
          const truth = contextFrameAt(captureTime(chunkK)) - startContextFrame;
          errorsMs.push(Math.abs(at - truth) / 48);
          chunkK += chunk.frames;
          expect(chunk.uncertaintyMs).toBeLessThan(5);
        }
        nextFlush += 50;
      }
    }

    // A minute of audio went through (all but the last batch), every chunk within 1 ms.
    expect(errorsMs.length).toBeGreaterThan(1000);
    const worst = Math.max(...errorsMs);
    console.info(`alignment: worst ${worst.toFixed(3)} ms over ${errorsMs.length} chunks`);
    expect(worst).toBeLessThanOrEqual(1);
  });
});
