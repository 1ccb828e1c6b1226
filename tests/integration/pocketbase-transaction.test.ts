import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
} from '../support/pocketbase';

// An extra hook, loaded next to the real ones, that makes saving a membership fail for studios
// whose name says so. The studio hook must then roll the studio back with it.
const FAILING_MEMBERSHIPS = `
onRecordCreateExecute((e) => {
  const studio = e.app.findRecordById('studios', e.record.getString('studio'));
  if (studio.getString('name') === 'Doomed') {
    throw new BadRequestError('Membership refused by the test hook.');
  }
  e.next();
}, 'memberships');
`;

describe('studio creation is atomic with its owner membership', () => {
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase({ extraHooks: { 'zz-failing-memberships.pb.js': FAILING_MEMBERSHIPS } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('does not create the studio when the membership cannot be created', async () => {
    const owner = await signUp(server.url, 'Owner');
    const error = await rejection(
      owner.pb.collection('studios').create({ name: 'Doomed', slug: 'doomed-studio', owner: owner.id }),
    );
    expect(error.status).toBe(400);

    const su = await superuserClient(server.url);
    expect(await su.collection('studios').getFullList({ filter: `owner = "${owner.id}"` })).toEqual([]);
    expect(await su.collection('memberships').getFullList({ filter: `user = "${owner.id}"` })).toEqual([]);
  });

  it('still creates both when the membership succeeds (the extra hook is selective)', async () => {
    const owner = await signUp(server.url, 'Owner');
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Fine', slug: 'fine-studio', owner: owner.id });
    const su = await superuserClient(server.url);
    const members = await su.collection('memberships').getFullList({ filter: `studio = "${studio.id}"` });
    expect(members.map((m) => m.role)).toEqual(['owner']);
  });
});
