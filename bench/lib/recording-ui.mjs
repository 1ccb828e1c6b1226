/**
 * Recording driven the way a player does it: the studio page's Record and Stop buttons
 * (components/recording/RecordButton.svelte). Shared by the recording e2e and bench:recording.
 */

/**
 * @typedef {import('@playwright/test').Page} Page
 */

/**
 * Presses Record and waits until the page shows the take running (the Stop button). Returns the wall
 * clock at the click and when Stop showed: the take's first sample lies between the two.
 * @param {Page} page
 * @param {number} [timeout] ms
 */
export async function startRecording(page, timeout = 15_000) {
  const clickedAt = Date.now();
  await page.getByTestId('record-start').click({ timeout });
  await page.getByTestId('record-stop').waitFor({ state: 'visible', timeout });
  return { clickedAt, runningAt: Date.now() };
}

/**
 * Presses Stop and waits until Record shows again (the recorder has finalised the take).
 * @param {Page} page
 * @param {number} [timeout] ms
 */
export async function stopRecording(page, timeout = 60_000) {
  const clickedAt = Date.now();
  await page.getByTestId('record-stop').click({ timeout });
  await page.getByTestId('record-start').waitFor({ state: 'visible', timeout });
  return { clickedAt, stoppedAt: Date.now() };
}

/**
 * The impulses the page has noted since the last drain, and empties its lists (the bench hooks keep
 * every impulse; a long take must not grow the page): `captured`, the epochs at which our own
 * microphone's bursts entered the graph; `heard`, per peer id, the epochs at which a peer's bursts left
 * its jitter buffer here; `capturedFrames`, each captured burst's epoch with the exact context frame
 * at which it entered.
 * @param {Page} page
 * @returns {Promise<{ captured: number[], capturedFrames: Array<{ epochMs: number, contextFrame: number }>,
 *   heard: Record<string, number[]> }>}
 */
export function drainImpulses(page) {
  return page.evaluate(() => {
    const hooks =
      /** @type {{ __bandmesh: { impulses: Array<{ peerId?: string, epochMs: number, contextFrame?: number }>,
       *   stages: unknown[] } }} */ (/** @type {unknown} */ (window)).__bandmesh;
    /** @type {number[]} */
    const captured = [];
    /** @type {Array<{ epochMs: number, contextFrame: number }>} */
    const capturedFrames = [];
    /** @type {Record<string, number[]>} */
    const heard = {};
    for (const i of hooks.impulses.splice(0)) {
      if (i.peerId) (heard[i.peerId] ??= []).push(i.epochMs);
      else {
        captured.push(i.epochMs);
        if (i.contextFrame !== undefined)
          capturedFrames.push({ epochMs: i.epochMs, contextFrame: i.contextFrame });
      }
    }
    hooks.stages.length = 0;
    return { captured, capturedFrames, heard };
  });
}

/**
 * Only the captured impulses (see drainImpulses; what the page heard is dropped).
 * @param {Page} page
 */
export async function drainCaptured(page) {
  const { captured, capturedFrames } = await drainImpulses(page);
  return { captured, capturedFrames };
}
