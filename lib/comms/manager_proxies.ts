/**
 * The proxies a `Manager` hands out, as Python's `DictProxy`, `ListProxy`,
 * `ValueProxy` and `NamespaceProxy`: each call runs on the object in the manager's
 * server, so a change made through any copy, in any process, is seen by all. Pass them
 * to a `Process` or a pool task as arguments; the other side gets a proxy of the same
 * object. Values are copied in and out (structured-clone data); reads return copies.
 *
 * @module
 */
import { ManagerChannel } from "./manager_channel.ts";
import { ProxyState } from "./manager_base.ts";
import { DictProxy } from "./manager_dict.ts";
import { ListProxy } from "./manager_list.ts";
import { NamespaceProxy, ValueProxy } from "./manager_namespace.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

export { type DictKey, DictProxy } from "./manager_dict.ts";
export { ListProxy } from "./manager_list.ts";
export { NamespaceProxy, ValueProxy } from "./manager_namespace.ts";

/** Makes the proxies of a manager on the main side (and revives them in workers). */
export function makeProxy(
  kind: "dict" | "list" | "value" | "namespace",
  channel: ManagerChannel,
  id: number,
): unknown {
  const state = new ProxyState(channel, id);
  switch (kind) {
    case "dict":
      return new DictProxy(state);
    case "list":
      return new ListProxy(state);
    case "value":
      return new ValueProxy(state);
    case "namespace":
      return NamespaceProxy.wrap(new NamespaceProxy(state));
  }
}

function reviver(kind: "dict" | "list" | "value" | "namespace") {
  return (data: EncodedPortable): unknown => {
    if (typeof data.id !== "number") {
      throw new TypeError("Cannot revive a manager proxy as its 'id' is not a number");
    }
    return makeProxy(kind, ManagerChannel.revive(data), data.id);
  };
}

registerPortable(DictProxy.portableKind, reviver("dict"));
registerPortable(ListProxy.portableKind, reviver("list"));
registerPortable(ValueProxy.portableKind, reviver("value"));
registerPortable(NamespaceProxy.portableKind, reviver("namespace"));
