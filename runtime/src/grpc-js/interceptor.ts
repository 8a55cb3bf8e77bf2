import { type Metadata, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, status } from "@grpc/grpc-js";
import { type Decision, publicMessageOf } from "../decision.js";
import type { CallAuthorization, Guard, Peer, RequestHeaders } from "../guard.js";
import { admit } from "../principal-of.js";

const codes = { unauthenticated: status.UNAUTHENTICATED, permission_denied: status.PERMISSION_DENIED, unavailable: status.UNAVAILABLE };

/**
 * The guard as a grpc-js server interceptor (`new Server({ interceptors })`).
 * The rule is found by the path of the handler grpc-js dispatched to, matched
 * exactly. Metadata reaches the handler only after authentication, and each
 * request message only after it passed the rule's bindings.
 */
export function createGrpcInterceptor(guard: Guard): ServerInterceptor {
  return (definition, call) => {
    const procedure = definition.path;
    let ended = false;
    let authorization: CallAuthorization | undefined;
    // Steps that arrive while authentication runs wait here, in order; once
    // it has finished, steps run at once, without a promise per message.
    let waiting: ((auth: CallAuthorization) => void)[] | undefined = [];
    const step = (run: (auth: CallAuthorization) => void) => {
      if (ended) return;
      if (waiting !== undefined) waiting.push(run);
      else if (authorization !== undefined) run(authorization);
    };
    const end = (decision: Decision) => {
      if (ended || decision.allowed) return;
      ended = true;
      call.sendStatus({ code: codes[decision.code], details: publicMessageOf[decision.code] });
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            step((auth) => {
              if (!auth.decision.allowed) return end(auth.decision);
              admit(metadata, procedure, auth.principal);
              forward(metadata);
            });
            const ready = (auth: CallAuthorization) => {
              authorization = auth;
              const steps = waiting ?? [];
              waiting = undefined;
              for (const run of steps) if (!ended) run(auth);
            };
            let result: ReturnType<Guard["authorize"]>;
            try {
              result = guard.authorize(procedure, { header: metadataHeaders(metadata), peer: peerOf(call) });
            } catch {
              return end({ allowed: false, reason: "authenticator_failed", code: "unavailable" });
            }
            if (result instanceof Promise)
              result.then(ready, () => end({ allowed: false, reason: "authenticator_failed", code: "unavailable" }));
            else ready(result);
          },
          onReceiveMessage(message, forward) {
            step((auth) => {
              const decision = auth.checkMessage(message);
              if (decision.allowed) forward(message);
              else end(decision);
            });
          },
          onReceiveHalfClose(forward) {
            step(() => forward());
          },
        });
      },
    });
  };
}

/**
 * Metadata read through the part of the Headers interface authenticators use,
 * without copying it into a Headers object per call. Repeated keys join with
 * ", " as in Headers; binary (-bin) keys are not visible.
 */
function metadataHeaders(metadata: Metadata): RequestHeaders {
  const values = (name: string) => (name.endsWith("-bin") ? [] : metadata.get(name.toLowerCase()).map(String));
  const view: RequestHeaders = {
    get: (name) => {
      const found = values(name);
      return found.length === 0 ? null : found.join(", ");
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
