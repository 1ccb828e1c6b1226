import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCollections, renderTypes, TYPES_FILE } from '../../pocketbase/scripts/generate-types.mjs';
import { startPocketBase, type RunningPocketBase } from '../support/pocketbase';

describe('src/lib/pb/types.ts', () => {
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('matches the schema the migrations produce (run node pocketbase/scripts/generate-types.mjs)', async () => {
    const collections = await fetchCollections(server.url, server.superuser);
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(renderTypes(collections));
  });
});
