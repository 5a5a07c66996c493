/**
 * One page, one socket: the context every widget is mounted with.
 * @module realtime/widgets/page
 */

/**
 * @typedef {object} PageConfig - written by `{% realtime_scripts %}`
 * @property {string} url - socket path, e.g. "/api/ws"
 * @property {string} presenceUrl - GET /api/ws/presence
 * @property {string} role
 * @property {number|null} userId
 * @property {number|null} customerId
 * @property {string[]} namespaces - those the role may subscribe to
 * @property {number} since - the event log's newest id when the page's state was read
 * @property {string} timeZone - the server's, for times and "today"
 */

/**
 * @typedef {object} Page
 * @property {import("../js/socket.js").RealtimeSocket} socket - shared by every widget
 * @property {PageConfig} config
 * @property {Document} document
 * @property {typeof fetch} fetch
 * @property {Function} setTimeout
 * @property {() => void} reload
 * @property {(namespace: string) => boolean} may - whether the role may subscribe
 * @property {(namespace: string) => boolean} subscribe - subscribes (resuming from
 *   `config.since`) if the role may; false otherwise
 * @property {(types: string[], fn: (type: string, data: object, frame: object) => void) => () => void} listen
 * @property {(root: Element) => void} mountAll - mounts `[data-rt-widget]` in root (and root)
 * @property {(root: Element) => void} unmountAll - the reverse, for removed elements
 * @property {Record<string, (data: object) => object|null>} toasts - event type → toast
 */

/**
 * Creates the page context.
 * @param {{socket: object, config: PageConfig, document: Document,
 *   registry: Record<string, (root: Element, page: Page) => (() => void)|void>,
 *   toasts?: Record<string, (data: object) => object|null>,
 *   fetch?: typeof fetch, setTimeout?: Function, reload?: () => void,
 *   onError?: (error: unknown) => void}} options
 * @returns {Page}
 */
export function createPage({ socket, config, document, registry, toasts, fetch, setTimeout,
  reload, onError }) {
  const mounted = new Map();
  const allowed = new Set(config.namespaces ?? []);
  const report = onError ?? ((error) => globalThis.reportError?.(error));

  const widgetsIn = (root) => {
    const nodes = [];
    if (root.getAttribute?.("data-rt-widget")) nodes.push(root);
    nodes.push(...root.querySelectorAll("[data-rt-widget]"));
    return nodes;
  };

  /** @type {Page} */
  const page = {
    socket,
    config,
    document,
    fetch: fetch ?? ((...args) => globalThis.fetch(...args)),
    setTimeout: setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
    reload: reload ?? (() => globalThis.location?.reload()),
    toasts: toasts ?? {},

    may: (namespace) => allowed.has(namespace),

    subscribe(namespace) {
      if (!allowed.has(namespace)) return false;
      socket.subscribe(namespace, { since: config.since });
      return true;
    },

    listen(types, fn) {
      const offs = types.map((type) =>
        socket.on(type, (data, frame) => fn(frame?.type ?? type, data ?? {}, frame ?? {})));
      return () => offs.forEach((off) => off());
    },

    mountAll(root) {
      for (const node of widgetsIn(root)) {
        if (mounted.has(node)) continue;
        const mount = registry[node.getAttribute("data-rt-widget")];
        if (!mount) continue;
        try {
          mounted.set(node, mount(node, page) ?? (() => {}));
        } catch (error) {
          // One broken widget must not keep the others from mounting.
          report(error);
        }
      }
    },

    unmountAll(root) {
      for (const node of widgetsIn(root)) {
        const unmount = mounted.get(node);
        mounted.delete(node);
        unmount?.();
      }
    },
  };
  return page;
}
