import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CLOSE_CODES,
  ERROR_CODES,
  PROTOCOL_VERSION,
  SOCKET_STATES,
  needsLongBackoff,
  shouldReconnect,
} from "../../realtime/static/realtime/js/constants.js";
import * as index from "../../realtime/static/realtime/js/index.js";

test("reconnect rule: 4000–4499 reconnect, 4500–4999 stop", () => {
  for (const code of [4000, 4001, 4200, 4499]) assert.equal(shouldReconnect(code), true, code);
  for (const code of [4500, 4503, 4999]) assert.equal(shouldReconnect(code), false, code);
});

test("reconnect rule: standard codes", () => {
  for (const code of [1000, 1001, 1006, 1008, 1009, 1011, 1012, 1013]) {
    assert.equal(shouldReconnect(code), true, code);
  }
  for (const code of [1002, 1003, 1005, 1007, 1010, 1014, 1015, 3000, 5000]) {
    assert.equal(shouldReconnect(code), false, code);
  }
});

test("long backoff only for 4008 and 4013, and 1008 and 1013 from a proxy", () => {
  assert.equal(CLOSE_CODES.POLICY, 4008);
  assert.equal(CLOSE_CODES.TRY_AGAIN_LATER, 4013);
  assert.equal(CLOSE_CODES.MESSAGE_TOO_LARGE, 4009);
  for (const code of [4008, 4013, 1008, 1013]) assert.equal(needsLongBackoff(code), true, code);
  for (const code of [1000, 1001, 1006, 1009, 4000, 4001, 4009]) {
    assert.equal(needsLongBackoff(code), false, code);
  }
});

test("constants are frozen and index re-exports them with the socket", () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.ok(Object.isFrozen(ERROR_CODES) && Object.isFrozen(CLOSE_CODES));
  assert.deepEqual(Object.values(SOCKET_STATES),
    ["connecting", "open", "closed", "reconnecting", "failed"]);
  assert.equal(index.CLOSE_CODES, CLOSE_CODES);
  assert.equal(typeof index.RealtimeSocket, "function");
});
