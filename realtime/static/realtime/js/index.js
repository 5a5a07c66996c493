/**
 * Entry point of the realtime client: the socket and the protocol's constants.
 * @module realtime
 */
export { RealtimeSocket } from "./socket.js";
export * from "./constants.js";
