// The packages' package.json: what `exports` and `types` name exists, and importing by
// name gives the very modules the app serves (one RealtimeSocket, one React context).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

import * as byName from "@omni-sales/realtime";
import * as reactByName from "@omni-sales/realtime/react";
import * as ordersByName from "@omni-sales/orders-react";
import { RealtimeSocket } from "../../realtime/static/realtime/js/socket.js";
import { useRealtime } from "../../realtime/static/realtime/js/react/hook.js";
import { OrderStatusBadge } from "../../orders/static/orders/react/badge.js";

const PACKAGES = ["../../realtime/static/realtime/js/", "../../orders/static/orders/react/"];

for (const dir of PACKAGES) {
  test(`${dir}package.json names files that exist`, () => {
    const base = new URL(dir, import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL("package.json", base), "utf8"));
    assert.equal(pkg.type, "module");
    assert.ok(existsSync(new URL(pkg.types, base)), pkg.types);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const files = typeof target === "string" ? [target] : Object.values(target);
      for (const file of files) assert.ok(existsSync(new URL(file, base)), `${subpath}: ${file}`);
    }
    assert.ok(pkg.peerDependencies.react, "React is the page's, not bundled");
    assert.equal(pkg.dependencies, undefined, "no runtime dependency");
  });
}

test("importing by name is importing the served modules", () => {
  assert.equal(byName.RealtimeSocket, RealtimeSocket);
  assert.equal(reactByName.useRealtime, useRealtime);
  assert.equal(ordersByName.OrderStatusBadge, OrderStatusBadge);
  assert.equal(byName.CLOSE_CODES.SESSION_ENDED, 4500);
});
