/**
 * The Live stats page's status line from one stats payload. A payload that arrived
 * is not proof that the figures are whole: when the shared store cannot be read
 * (`store.ok` false), the answering process shows only itself, so the page must not
 * claim to be live. Pure, so node tests it without a DOM.
 * @module realtime/admin/status
 */

/**
 * Dot state (stats.css: `.rt-dot[data-state]`) and text per condition, first match wins.
 * @type {{when: (stats: object) => boolean, state: string, text: string}[]}
 */
export const STATUSES = Object.freeze([
  { when: (stats) => stats?.store?.ok === false, state: "error",
    text: "store down: figures of this process only" },
  { when: () => true, state: "live", text: "live" },
]);

/**
 * @param {object} stats - a GET /api/ws/stats payload
 * @returns {{state: string, text: string}}
 */
export function pageStatus(stats) {
  const { state, text } = STATUSES.find(({ when }) => when(stats));
  return { state, text };
}
