/**
 * Entry point of the realtime client: the socket, the protocol's constants, and a token
 * from the page's session.
 * @module realtime
 */
export { RealtimeSocket } from "./socket.js";
export * from "./constants.js";
export { csrfToken, sessionToken } from "./token.js";
