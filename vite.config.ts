import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The bench build (svelte.config.js): `import.meta.env.MODE === 'bench'` turns on the studio page's
  // benchmark hooks; every other build folds that test to false and drops them.
  ...(process.env.BANDMESH_BUILD === 'bench' ? { mode: 'bench' } : {}),
  plugins: [sveltekit()],
  server: { host: '127.0.0.1' },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'relay/src/**/*.test.ts',
            'tests/lint/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          // Each file starts real servers; running files one after another keeps 2 cores usable.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
