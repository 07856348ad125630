/**
 * What "first render" means in the bench (bench.ts, profile.ts): the first picture an operator
 * reads, painted. Runs in the page before the app (an init script) and watches every frame for:
 *
 * - the map framed: MapCanvas set its `hopwatch:first-map` mark with the viewport of the first
 *   picture, and the canvas's transform is that viewport (not React Flow's default 0,0 ×1 that
 *   shows before it);
 * - React Flow's nodes in the DOM, none of them still hidden for measuring, and an edge drawn,
 *   in a canvas that is shown (MapCanvas mounts React Flow hidden while the first sample is
 *   judged: nodes in the DOM are not yet a picture);
 * - every interface node carrying the design contract's `data-hop` and `data-status`, and none of
 *   them `idle`: every interface of the synthetic host is busy, so `idle` there means "not judged
 *   yet", a picture without its loss.
 *
 * The time is taken in a task queued from that frame's animation callback, so it includes the
 * frame's style, layout and paint. Until 2026-12 the bench stopped at the first frame with
 * unhidden nodes and an edge: the unframed, unjudged picture, 1.2–1.6 s before this one.
 * `steps` keeps when each condition first held, to say which one the first picture waits for,
 * and when the hub's first topology and sample frames reached the page (`topology`, `sample`),
 * when the page made its hub socket (`socket`) and when it opened (`open`).
 */
export const FIRST_PICTURE_SCRIPT = `
  (() => {
    const fp = { t: null, nodes: 0, steps: {} };
    window.__firstPicture = fp;
    const step = (name) => { if (!(name in fp.steps)) fp.steps[name] = Math.round(performance.now()); };
    // When the hub's first topology and sample frames reach the page's main thread.
    const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
    Object.defineProperty(WebSocket.prototype, 'onmessage', {
      get() { return desc.get.call(this); },
      set(fn) {
        desc.set.call(this, fn && function (ev) {
          if (typeof ev.data === 'string') {
            if (ev.data.startsWith('{"type":"topology"')) step('topology');
            else if (ev.data.startsWith('{"type":"sample"')) step('sample');
          }
          return fn.call(this, ev);
        });
      },
    });
    // When the page made its hub socket and when it opened (the subscription is sent then).
    const openDesc = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onopen');
    Object.defineProperty(WebSocket.prototype, 'onopen', {
      get() { return openDesc.get.call(this); },
      set(fn) {
        step('socket');
        openDesc.set.call(this, fn && function (ev) { step('open'); return fn.call(this, ev); });
      },
    });
    const framedAs = () => {
      const mark = performance.getEntriesByName('hopwatch:first-map')[0];
      const vp = mark && mark.detail && mark.detail.viewport;
      if (!vp) return false;
      step('framed');
      const el = document.querySelector('.react-flow__viewport');
      const m = /translate\\((-?[\\d.e+-]+)px, (-?[\\d.e+-]+)px\\) scale\\(([\\d.e+-]+)\\)/.exec(el ? el.style.transform : '');
      if (!m) return false;
      const near = (a, b) => Math.abs(Number(a) - b) <= 0.5 + Math.abs(b) * 1e-3;
      return near(m[1], vp.x) && near(m[2], vp.y) && near(m[3], vp.zoom);
    };
    const poll = () => {
      const nodes = document.querySelectorAll('.react-flow__node');
      const flow = document.querySelector('.react-flow');
      const shown = nodes.length > 0 &&
        document.querySelector('.react-flow__node[style*="visibility: hidden"]') === null &&
        document.querySelector('.react-flow__edge') !== null &&
        getComputedStyle(flow).visibility === 'visible';
      if (shown) step('nodes');
      const ifaces = document.querySelectorAll('.react-flow__node-iface');
      let judged = ifaces.length > 0;
      for (const n of ifaces) {
        const hop = n.querySelector('[data-hop][data-status]');
        if (hop === null || hop.getAttribute('data-status') === 'idle') { judged = false; break; }
      }
      if (judged) step('judged');
      if (shown && judged && framedAs()) {
        step('all');
        fp.nodes = nodes.length;
        const mc = new MessageChannel();
        mc.port1.onmessage = () => { fp.t = performance.now(); };
        mc.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  })();
`;

export interface FirstPicture {
  /** ms since navigation start, after the paint of the first frame that met every condition. */
  t: number;
  nodes: number;
  /** When each condition first held (ms since navigation start): nodes, judged, framed, all; topology, sample: the hub's first frames in. */
  steps: Record<string, number>;
}

/** In the page: the first picture once it is painted, else null. */
export const firstPictureOf = () =>
  (window as unknown as { __firstPicture: FirstPicture | { t: null } }).__firstPicture.t === null
    ? null
    : (window as unknown as { __firstPicture: FirstPicture }).__firstPicture;
