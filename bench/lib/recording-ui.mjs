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
 * The captured-impulse epochs (our own microphone's bursts) the page has noted since the last drain,
 * and empties its lists (the bench hooks keep every impulse; a long take must not grow the page).
 * @param {Page} page
 * @returns {Promise<number[]>}
 */
export function drainCaptured(page) {
  return page.evaluate(() => {
    const hooks =
      /** @type {{ __bandmesh: { impulses: Array<{ peerId?: string, epochMs: number }>,
       *   stages: unknown[] } }} */ (/** @type {unknown} */ (window)).__bandmesh;
    const captured = hooks.impulses.splice(0).flatMap((i) => (i.peerId ? [] : [i.epochMs]));
    hooks.stages.length = 0;
    return captured;
  });
}
