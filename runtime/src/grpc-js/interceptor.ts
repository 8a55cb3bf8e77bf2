import { type Metadata, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, status } from "@grpc/grpc-js";
import { type Decision, publicMessageOf } from "../decision.js";
import type { CallAuthorization, Guard, Peer } from "../guard.js";
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
    let authorization: Promise<CallAuthorization | undefined> = Promise.resolve(undefined);
    // Every step runs in arrival order, after authentication finished.
    let queue: Promise<unknown> = Promise.resolve();
    const enqueue = (step: (auth: CallAuthorization | undefined) => void) => {
      queue = queue
        .then(() => authorization)
        .then((auth) => {
          if (!ended) step(auth);
        });
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
            authorization = guard.authorize(procedure, { header: toHeaders(metadata), peer: peerOf(call) });
            enqueue((auth) => {
              if (auth === undefined || !auth.decision.allowed)
                return end(auth?.decision ?? { allowed: false, reason: "no_rule", code: "permission_denied" });
              admit(metadata, procedure, auth.principal);
              forward(metadata);
            });
          },
          onReceiveMessage(message, forward) {
            enqueue((auth) => {
              const decision = auth?.checkMessage(message);
              if (decision?.allowed) forward(message);
              else end(decision ?? { allowed: false, reason: "no_rule", code: "permission_denied" });
            });
          },
          onReceiveHalfClose(forward) {
            enqueue(() => forward());
          },
        });
      },
    });
  };
}

/** Metadata as Headers; binary (-bin) entries are left out. */
function toHeaders(metadata: Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    if (key.endsWith("-bin")) continue;
    for (const value of values) headers.append(key, String(value));
  }
  return headers;
}

function peerOf(call: ServerInterceptingCallInterface): Peer | undefined {
  const auth = call.getAuthContext();
  if (auth.transportSecurityType !== "ssl") return undefined;
  const certificate = auth.sslPeerCertificate;
  // grpc-js reports a peer certificate only once TLS has verified it.
  return { authorized: true, certificate: certificate?.raw ? { raw: certificate.raw } : undefined };
}
