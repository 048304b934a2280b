/**
 * What every manager proxy is made of: the channel to its manager and its object's id,
 * handed over by the manager (or by a reviver in a worker) and nothing else.
 *
 * @module
 */
import type { ChannelData, ManagerChannel } from "./manager_channel.ts";
import type { EncodedPortable } from "./wire.ts";

/** What a proxy is made of: the channel to its manager and its object's id. */
export class ProxyState {
  constructor(readonly channel: ManagerChannel, readonly id: number) {}
}

/** The state handed to a proxy's constructor; refuses anything else. */
export function takeState(state: unknown): ProxyState {
  if (!(state instanceof ProxyState)) {
    throw new TypeError(
      "Cannot make a manager proxy directly: ask a manager (manager.dict(), manager.list(), ...)",
    );
  }
  return state;
}

export function encodeProxy(kind: string, state: ProxyState): {
  readonly data: EncodedPortable;
  readonly transfer: readonly Transferable[];
} {
  const { ctl, buffers }: ChannelData = state.channel.data;
  return { data: { __portable: kind, ctl, buffers, id: state.id }, transfer: [] };
}
