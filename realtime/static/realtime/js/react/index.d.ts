/** @omni-sales/realtime/react: useRealtime, RealtimeProvider and the components' helpers. */

import type { ReactElement, ReactNode } from "react";
import type { SocketState } from "../constants.js";
import type { RealtimeSocket, RealtimeSocketOptions } from "../socket.js";

export type TokenSource = string | null | (() => string | null | Promise<string | null>);

export interface UseRealtimeConfig {
  /** Subscribed while the component is mounted (counted per socket). */
  namespaces?: string[];
  /** Connect a socket the hook opens itself. Default true. */
  autoConnect?: boolean;
  /** A token for `auth`, or a function called before every connect. */
  token?: TokenSource;
  /** Default ws(s)://<page host>/api/ws. */
  url?: string;
  /** Use this socket instead of the provider's or a new one. */
  socket?: RealtimeSocket;
  options?: Omit<RealtimeSocketOptions, "token">;
}

export interface UseRealtime {
  state: SocketState;
  /** Same types as RealtimeSocket.on; returns its cleanup (also run on unmount). */
  on: RealtimeSocket["on"];
  /** Holds a subscription; returns its release (also run on unmount). */
  subscribe: (namespace: string) => () => void;
  socket: RealtimeSocket;
}

export declare function useRealtime(config?: UseRealtimeConfig): UseRealtime;
export declare function RealtimeProvider(props: UseRealtimeConfig & { children?: ReactNode }): ReactElement;
export declare function acquire(socket: RealtimeSocket, namespace: string): () => void;
export declare function defaultUrl(location?: { protocol: string; host: string }): string;

export declare function defaultCurrency(doc?: Document): string;
export declare function formatMoney(cents: number, options?: { currency?: string; locale?: string }): string;
export declare function statusLabel(status: unknown): string;
export declare function statusClass(status: unknown): string;
/** A decimal string ("149.90") in integer cents; NaN if it is not one. */
export declare function toCents(value: unknown): number;
