/**
 * `npm run build:bench`: builds the app with its benchmark hooks into bench/build/ (see
 * scripts/lib/bench-build.mjs). bench:latency and bench:trace build it themselves when it is stale.
 */
import { buildBench } from '../scripts/lib/bench-build.mjs';

await buildBench();
