/**
 * realtime's own widgets: name (`data-rt-widget`) → mount function `(root, page) => unmount`.
 * Apps add theirs through widget modules they declare (`realtime.widgets.register_module`):
 * each exports `widgets` (the same shape) and may export `toasts` (event type →
 * `(data) => {level, title, message} | null`, shown by the notifications widget).
 * @module realtime/widgets/registry
 */

import { mountConnection } from "./connection.js";
import { mountLiveField, mountLiveList } from "./live.js";
import { mountNotifications } from "./notifications.js";

export const WIDGETS = Object.freeze({
  "connection": mountConnection,
  "notifications": mountNotifications,
  "live-field": mountLiveField,
  "live-list": mountLiveList,
});

/**
 * realtime's widgets and toasts with those of the apps' modules.
 * @param {Array<{widgets?: object, toasts?: object}>} modules
 * @returns {{widgets: object, toasts: object}}
 */
export function combine(modules) {
  return {
    widgets: Object.assign({}, WIDGETS, ...modules.map((m) => m.widgets ?? {})),
    toasts: Object.assign({}, ...modules.map((m) => m.toasts ?? {})),
  };
}
