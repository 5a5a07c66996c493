// The plain example: one RealtimeSocket, a token from the page's session, a list of orders.
import { RealtimeSocket, sessionToken } from "@omni-sales/realtime";


const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new RealtimeSocket(`${scheme}://${location.host}/api/ws`, {
  token: sessionToken, // the session's token, CSRF included; null (a guest) when signed out
  maxAttempts: Infinity,
});

const stateEl = /** @type {HTMLElement} */ (document.getElementById("state"));
const roleEl = /** @type {HTMLElement} */ (document.getElementById("role"));
const list = /** @type {HTMLElement} */ (document.getElementById("orders"));

socket.onState((state) => {
  stateEl.textContent = state;
  stateEl.dataset.state = state;
});
socket.on("authenticated", (data) => {
  roleEl.textContent = data.role;
  roleEl.dataset.via = "token"; // the `auth` frame with the fetched token was accepted
});
socket.on("connected", (data) => {
  roleEl.textContent = data.role;
});

socket.on("orders:*", (order, frame) => {
  const id = String(order.id);
  let row = /** @type {HTMLElement|null} */ (list.querySelector(`li[data-order-id="${id}"]`));
  if (!row) {
    row = document.createElement("li");
    row.dataset.orderId = id;
    list.prepend(row);
  }
  row.dataset.status = order.status;
  row.textContent = `#${id} ${order.customerName} ${order.total} — ${order.status} (${frame.type})`;
});

socket.subscribe("orders");
socket.connect();
