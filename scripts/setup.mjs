/** `npm run setup`: install and build what is missing, nothing else (npm start and npm test do it too). */
import { fail, ok } from './lib/log.mjs';
import { setup } from './lib/setup.mjs';

try {
  await setup();
  ok('Set up.');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
