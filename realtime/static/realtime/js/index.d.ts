/** @omni-sales/realtime: the browser client of the realtime protocol (docs/protocol.md v1). */
export * from "./constants.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./socket.js";
export * from "./token.js";
