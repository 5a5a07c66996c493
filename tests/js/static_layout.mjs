// Resolves imports between apps' static files as the static files finder lays them
// out: orders/static/orders/widgets/badge.js imports "../../realtime/widgets/dom.js",
// which is /static/realtime/widgets/dom.js in a browser and realtime/static/realtime/
// widgets/dom.js in the checkout. Loaded with `node --import ./tests/js/static_layout.mjs`.
import { register } from "node:module";

register("./static_hooks.mjs", import.meta.url);
