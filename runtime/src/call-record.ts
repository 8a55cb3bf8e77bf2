// The guard's record of a call it let through, kept on the per-call object
// the framework hands both to the adapter and to the handler. Which object
// that is, each adapter knows and tells (recognizeCalls); the core knows no
// framework's call shape.

import type { CallAuthorization } from "./guard-api.js";

/** What the guard recorded of a call it let through: its verdict. */
export type Admitted = Pick<CallAuthorization, "procedure" | "principal" | "notEnforced">;

/** A base whose constructor returns the object it is given, so a subclass's private fields land on that object. */
class OnCarrier {
  constructor(carrier: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the point of the class
    return carrier as OnCarrier;
  }
}

/**
 * The record of a call, kept in a private field of a per-call object the
 * framework hands to the handler as well: unforgeable like a WeakMap entry,
 * without the ephemeron a WeakMap adds to the garbage collector per call.
 */
class Stamp extends OnCarrier {
  #record: Admitted;
  private constructor(carrier: object, record: Admitted) {
    super(carrier);
    this.#record = record;
  }
  static write(carrier: object, record: Admitted): void {
    // A second guard on the same server admits the same call again: the later record wins.
    if (#record in carrier) (carrier as Stamp).#record = record;
    else new Stamp(carrier, record);
  }
  static read(carrier: object): Admitted | undefined {
    return #record in carrier ? (carrier as Stamp).#record : undefined;
  }
}

/** Records the verdict of a call the guard let through (adapters only). */
export function admit(carrier: object, authorization: Admitted): void {
  Stamp.write(carrier, authorization);
}

/** Finds the per-call object an adapter stamps, given what a handler holds; undefined when the handle is not that adapter's. */
export type CallCarrier = (call: object) => object | undefined;

const carriers: CallCarrier[] = [];

/** Adapters: how a handler's call handle leads to the object `admit` stamps (idempotent). */
export function recognizeCalls(carrier: CallCarrier): void {
  if (!carriers.includes(carrier)) carriers.push(carrier);
}

/** What the guard recorded of the call `call` is the handle of; throws when no guard admitted it. */
export function recordOf(call: object, procedure: string | undefined): Admitted {
  let record: Admitted | undefined;
  for (const carrier of carriers) {
    const found = typeof call === "object" && call !== null ? carrier(call) : undefined;
    record = found === undefined ? undefined : Stamp.read(found);
    if (record !== undefined) break;
  }
  if (record === undefined) {
    throw new Error("protoauthz: no guard admitted this call; install the guard's interceptor on the server");
  }
  if (procedure !== undefined && record.procedure !== procedure) {
    throw new Error(`protoauthz: principalOf(${procedure}) called while handling ${record.procedure}`);
  }
  return record;
}
