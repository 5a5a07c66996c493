import assert from "node:assert/strict";
import { test } from "node:test";

import { pageStatus } from "../../realtime/static/realtime/admin/status.js";

test("a readable store is live", () => {
  assert.deepEqual(pageStatus({ store: { backend: "redis", ok: true } }),
    { state: "live", text: "live" });
});

test("an unreadable store turns the status red and says so", () => {
  const status = pageStatus({ store: { backend: "redis", ok: false } });
  assert.equal(status.state, "error");
  assert.match(status.text, /store down/);
});

test("a payload without a store section is not called down", () => {
  assert.equal(pageStatus({}).state, "live");
});
