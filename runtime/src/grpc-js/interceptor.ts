import { type Metadata, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, status } from "@grpc/grpc-js";
import { type Decision, deny, publicMessageOf } from "../decision.js";
import type { CallAuthorization, Guard, Peer, RequestHeaders } from "../guard.js";
import { admit } from "../principal-of.js";

const codes = { unauthenticated: status.UNAUTHENTICATED, permission_denied: status.PERMISSION_DENIED, unavailable: status.UNAVAILABLE };

/**
 * The guard as a grpc-js server interceptor (`new Server({ interceptors })`).
 * The rule is found by the path of the handler grpc-js dispatched to, matched
 * exactly. Metadata reaches the handler only after authentication, and each
 * request message only after it passed the rule's bindings and relations.
 * When messages decide the call, a client or bidi stream's handler (started by
 * grpc-js on metadata) gets its metadata only once the first message passed.
 */
export function createGrpcInterceptor(guard: Guard): ServerInterceptor {
  return (definition, call) => {
    const procedure = definition.path;
    let ended = false;
    let authorization: CallAuthorization | undefined;
    /** Forwards the held metadata, which starts a streaming handler. */
    let release: (() => void) | undefined;
    const end = (decision: Decision) => {
      if (ended || decision.allowed) return;
      ended = true;
      call.sendStatus({ code: codes[decision.code], details: publicMessageOf[decision.code] });
    };
    // Events run in order; one that waits (authentication, the engine) holds the later ones.
    const step = serialized(() => end(deny("authenticator_failed")));
    const admitted = (decision: Decision, forward: () => void) => {
      if (ended) return;
      if (!decision.allowed) return end(decision);
      const held = release;
      release = undefined;
      held?.();
      forward();
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            step(() => {
              const pending = guard.authorize(procedure, { header: metadataHeaders(metadata), peer: peerOf(call) });
              const ready = (auth: CallAuthorization) => {
                authorization = auth;
                if (!auth.decision.allowed) return end(auth.decision);
                admit(metadata, procedure, auth.principal, auth.notEnforced);
                if (!(definition.requestStream && auth.checksMessages)) return forward(metadata);
                // Hold the handler back; read the first message ourselves.
                release = () => forward(metadata);
                call.startRead();
              };
              return pending instanceof Promise ? pending.then(ready) : ready(pending);
            });
          },
          onReceiveMessage(message, forward) {
            step(() => {
              if (ended || authorization === undefined) return;
              const decision = authorization.checkMessage(message);
              const pass = (d: Decision) => admitted(d, () => forward(message));
              return decision instanceof Promise ? decision.then(pass) : pass(decision);
            });
          },
          onReceiveHalfClose(forward) {
            step(() => {
              if (ended || authorization === undefined) return;
              admitted(authorization.checkEnd(), forward);
            });
          },
        });
      },
    });
  };
}

/**
 * Runs steps one after another. A synchronous step runs at once, without a
 * promise; one that returns a promise holds every later step until it settles.
 */
function serialized(onError: (error: unknown) => void): (step: () => void | Promise<void>) => void {
  let pending = 0;
  // Made only once a step waits: a call whose steps all answer at once allocates no promise.
  let tail: Promise<unknown> | undefined;
  const chain = (work: Promise<unknown>) => {
    pending++;
    tail = work.catch(onError).finally(() => pending--);
  };
  return (step) => {
    if (pending > 0 && tail !== undefined) return chain(tail.then(step));
    try {
      const result = step();
      if (result instanceof Promise) chain(result);
    } catch (error) {
      onError(error);
    }
  };
}

/**
 * Metadata read through the part of the Headers interface authenticators use,
 * without copying it into a Headers object per call. Repeated keys join with
 * ", " as in Headers; binary (-bin) keys are not visible.
 */
function metadataHeaders(metadata: Metadata): RequestHeaders {
  const values = (name: string) => (name.endsWith("-bin") ? [] : metadata.get(name.toLowerCase()));
  const view: RequestHeaders = {
    get: (name) => {
      const found = values(name);
      if (found.length === 0) return null;
      // One value (the usual case) is returned as it is, without a copy.
      return found.length === 1 && typeof found[0] === "string" ? found[0] : found.map(String).join(", ");
    },
    has: (name) => values(name).length > 0,
    forEach: (callback, thisArg) => {
      for (const [key, value] of Object.entries(metadata.toJSON())) {
        if (!key.endsWith("-bin")) callback.call(thisArg, value.map(String).join(", "), key, view as unknown as Headers);
      }
    },
  };
  return view;
}

function peerOf(call: ServerInterceptingCallInterface): Peer | undefined {
  const auth = call.getAuthContext();
  if (auth.transportSecurityType !== "ssl") return undefined;
  const certificate = auth.sslPeerCertificate;
  // grpc-js reports a peer certificate only once TLS has verified it.
  return { authorized: true, certificate: certificate?.raw ? { raw: certificate.raw } : undefined };
}
