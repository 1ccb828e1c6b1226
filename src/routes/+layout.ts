// A single-page app: PocketBase serves the fallback page, the browser renders everything.
export const ssr = false;
export const prerender = false;
