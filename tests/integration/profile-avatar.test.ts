// The avatar field's limits are the server's (pocketbase/pb_migrations/1795344000): real uploads
// through the SDK, the file's content judged rather than its name or the type the client claims.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../support/png';
import { rejection, signUp, startPocketBase, type RunningPocketBase } from '../support/pocketbase';

let server: RunningPocketBase;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

function form(name: string, type: string, bytes: Uint8Array<ArrayBuffer>): FormData {
  const data = new FormData();
  data.append('avatar', new File([bytes], name, { type }));
  return data;
}

describe('avatar uploads', () => {
  it('stores a PNG and serves its 64x64 thumbnail', async () => {
    const user = await signUp(server.url, 'Pic');
    const record = await user.pb.collection('users').update(user.id, form('me.png', 'image/png', png(300)));
    expect(record.avatar).toMatch(/\.png$/);
    const thumb = await fetch(user.pb.files.getURL(record, record.avatar, { thumb: '64x64' }));
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await thumb.arrayBuffer());
    expect(bytes.readUInt32BE(16)).toBe(64); // IHDR width of the thumbnail
  });

  it('refuses a file over 2 MB with the size error, keeping the old avatar', async () => {
    const user = await signUp(server.url, 'Big');
    const first = await user.pb.collection('users').update(user.id, form('a.png', 'image/png', png(8)));
    const big = png(8, Math.round(5.2 * 1024 * 1024));
    const error = await rejection(
      user.pb.collection('users').update(user.id, form('big.png', 'image/png', big)),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.avatar.code).toBe('validation_file_size_limit');
    expect((await user.pb.collection('users').getOne(user.id)).avatar).toBe(first.avatar);
  });

  it('refuses an SVG with a script named and typed as a PNG', async () => {
    const user = await signUp(server.url, 'Svg');
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
    );
    const error = await rejection(
      user.pb.collection('users').update(user.id, form('cat.png', 'image/png', svg)),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.avatar.code).toBe('validation_invalid_mime_type');
    expect((await user.pb.collection('users').getOne(user.id)).avatar).toBe('');
  });

  it('refuses an HTML page named and typed as a GIF', async () => {
    const user = await signUp(server.url, 'Html');
    const html = new TextEncoder().encode(
      '<!doctype html><html><body><script>fetch("/x")</script></body></html>',
    );
    const error = await rejection(
      user.pb.collection('users').update(user.id, form('cat.gif', 'image/gif', html)),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.avatar.code).toBe('validation_invalid_mime_type');
  });

  it("refuses an avatar on someone else's account", async () => {
    const victim = await signUp(server.url, 'Victim');
    const attacker = await signUp(server.url, 'Attacker');
    const error = await rejection(
      attacker.pb.collection('users').update(victim.id, form('x.png', 'image/png', png(8))),
    );
    expect(error.status).toBe(404);
    expect((await victim.pb.collection('users').getOne(victim.id)).avatar).toBe('');
  });
});
