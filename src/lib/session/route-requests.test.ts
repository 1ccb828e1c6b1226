import { describe, expect, it } from 'vitest';
import { RouteRequests } from './route-requests';

function setup(online = { value: true }) {
  const sent: boolean[] = [];
  const requests = new RouteRequests({
    request: (unreachable) => {
      if (!online.value) return false;
      sent.push(unreachable);
      return true;
    },
  });
  return { requests, sent, online };
}

describe('RouteRequests', () => {
  it('asks for the SFU on a link that did not open, once, and withdraws when every pair connects', () => {
    const { requests, sent } = setup();
    requests.timedOut('peer-b');
    requests.timedOut('peer-c');
    requests.timedOut('peer-b');
    expect(sent).toEqual([true]);
    expect(requests.unreachable.sort()).toEqual(['peer-b', 'peer-c']);
    requests.connected('peer-b');
    expect(sent).toEqual([true]);
    requests.left('peer-c');
    expect(sent).toEqual([true, false]);
    requests.connected('peer-d'); // nothing pending: nothing to withdraw
    expect(sent).toEqual([true, false]);
  });

  it('counts a link that opened and broke only after repeated breaks', () => {
    const { requests, sent } = setup();
    requests.broke('peer-b');
    expect(sent).toEqual([]);
    requests.connected('peer-b'); // re-formed: the count starts over
    requests.broke('peer-b');
    expect(sent).toEqual([]);
    requests.broke('peer-b');
    expect(sent).toEqual([true]);
  });

  it('repeats a standing request after a resubscribe, and asks again later when it could not be sent', () => {
    const { requests, sent, online } = setup();
    online.value = false;
    requests.timedOut('peer-b');
    expect(requests.requested).toBe(false);
    online.value = true;
    requests.timedOut('peer-c');
    expect(sent).toEqual([true]);
    requests.subscribed();
    expect(sent).toEqual([true, true]);
  });
});
