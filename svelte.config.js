import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * `BANDMESH_BUILD=bench` (set by `npm run build:bench`) makes the bench build: the same app plus its
 * benchmark hooks (Vite mode `bench`, see vite.config.ts), written apart from the production build so
 * the two never mix, with its own SvelteKit work directory so both builds can coexist.
 */
const bench = process.env.BANDMESH_BUILD === 'bench';
const out = bench ? 'bench/build' : 'build';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: PocketBase serves build/ and answers unknown paths with the fallback page.
    adapter: adapter({ pages: out, assets: out, fallback: 'index.html', strict: true }),
    ...(bench ? { outDir: 'bench/.svelte-kit' } : {}),
  },
};

export default config;
