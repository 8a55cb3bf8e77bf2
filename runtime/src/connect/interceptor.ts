import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Decision } from "../decision.js";
import { publicMessageOf } from "../decision.js";
import type { CallAuthorization, Guard, Peer } from "../guard.js";
import type { Principal } from "../principal.js";
import { admit } from "../principal-of.js";
import { procedureOf } from "../tables.js";
import { withRawAuthorization } from "./raw-headers.js";

/** The admitted principal; undefined for anonymous calls to public methods. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "protoauthz principal" });

/** The verified TLS peer, set by the server's `contextValues` (see protoauthz/mtls). */
export const peerKey = createContextKey<Peer | undefined>(undefined, { description: "protoauthz TLS peer" });

const codes = { unauthenticated: Code.Unauthenticated, permission_denied: Code.PermissionDenied, unavailable: Code.Unavailable };

function reject(decision: Decision & { allowed: false }): ConnectError {
  return new ConnectError(publicMessageOf[decision.code], codes[decision.code]);
}

/**
 * The guard as a Connect interceptor. It looks the rule up by the method
 * descriptor Connect dispatched, authenticates, checks the request message (or
 * every message of a client stream) and only then lets the handler run.
 */
export function createConnectInterceptor(guard: Guard): Interceptor {
  return (next) => async (req) => {
    const procedure = procedureOf(req.method);
    const pending = guard.authorize(procedure, {
      header: withRawAuthorization(req.header, req.contextValues),
      peer: req.contextValues.get(peerKey),
    });
    const call = pending instanceof Promise ? await pending : pending;
    if (!call.decision.allowed) throw reject(call.decision);
    admit(req.contextValues, procedure, call.principal);
    req.contextValues.set(principalKey, call.principal);
    if (!req.stream) {
      const decision = call.checkMessage(req.message);
      if (!decision.allowed) throw reject(decision);
      return next(req);
    }
    const stream = new CheckedStream(call);
    const res = await next({ ...req, message: stream.inbound(req.message) });
    return res.stream ? { ...res, message: stream.outbound(res.message) } : res;
  };
}

/**
 * Checks every inbound message before the handler sees it. A denial ends the
 * call with that denial even if the handler catches the error it is thrown.
 */
class CheckedStream {
  private denied: ConnectError | undefined;
  constructor(private readonly call: CallAuthorization) {}

  async *inbound<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
    for await (const message of messages) {
      const decision = this.call.checkMessage(message);
      if (!decision.allowed) throw (this.denied = reject(decision));
      yield message;
    }
  }

  async *outbound<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
    for await (const message of messages) {
      if (this.denied) throw this.denied;
      yield message;
    }
    if (this.denied) throw this.denied;
  }
}
