/**
 * An init script that counts live RTCPeerConnections, Workers and AudioContexts in a page, so tests can
 * prove a session tears everything down. It wraps the constructors; the app does not know about it.
 */
export const resourceProbe = `(() => {
  const live = { pcs: new Set(), workers: new Set(), contexts: new Set() };
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PC {
    constructor(...args) { super(...args); live.pcs.add(this); }
    close() { live.pcs.delete(this); return super.close(); }
  };
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(...args) { super(...args); live.workers.add(this); }
    terminate() { live.workers.delete(this); return super.terminate(); }
  };
  const AC = window.AudioContext;
  window.AudioContext = class extends AC {
    constructor(...args) { super(...args); live.contexts.add(this); }
    close() { live.contexts.delete(this); return super.close(); }
  };
  window.__live = () => ({ pcs: live.pcs.size, workers: live.workers.size, contexts: live.contexts.size });
})();`;

export interface LiveResources {
  pcs: number;
  workers: number;
  contexts: number;
}
