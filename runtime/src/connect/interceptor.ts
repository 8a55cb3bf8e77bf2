import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { admit, recognizeCalls } from "../call-record.js";
import type { Decision } from "../decision.js";
import { publicMessages } from "../decision.js";
import type { CallAuthorization, Guard, Peer } from "../guard-api.js";
import { procedurePath } from "../procedure-path.js";
import { lacksRawAuthorization, missingRawHeadersWarning, withRawAuthorization } from "./raw-headers.js";

/** The verified TLS peer, set by the server's `contextValues` (see protoauthz/mtls). */
export const peerKey = createContextKey<Peer | undefined>(undefined, { description: "protoauthz TLS peer" });

const codes = { unauthenticated: Code.Unauthenticated, permission_denied: Code.PermissionDenied, unavailable: Code.Unavailable };

function reject(decision: Decision & { allowed: false }): ConnectError {
  return new ConnectError(publicMessages[decision.code], codes[decision.code]);
}

/**
 * The guard as a Connect interceptor. It looks the rule up by the method
 * descriptor Connect dispatched, authenticates, checks the request message (or
 * every message of a client stream) and only then lets the handler run. When
 * messages decide the call (bindings, relations), a client or bidi stream's
 * handler starts only once its first message passed; a stream that ends
 * without one is denied.
 */
export function createConnectInterceptor(guard: Guard): Interceptor {
  recognizeCalls(contextValuesOf);
  let warned = false;
  return (next) => (req) => {
    if (!warned && lacksRawAuthorization(req.contextValues, req.url)) {
      warned = true;
      console.warn(missingRawHeadersWarning);
    }
    const pending = guard.authorize({
      procedure: procedurePath(req.method),
      header: withRawAuthorization(req.header, req.contextValues),
      peer: req.contextValues.get(peerKey),
      // For cookie credentials' CSRF defence: a GET only to RPCs free of side effects.
      httpMethod: req.requestMethod,
      noSideEffects: req.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
    });
    // Not async: an answer at hand (a cached token, a local key) goes on to
    // the handler without a promise or a turn of the event loop of its own.
    if (pending instanceof Promise) return pending.then((call) => proceed(call, req, next));
    try {
      return proceed(pending, req, next);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** A handler's HandlerContext leads to the request's context values, which the interceptor stamped. */
function contextValuesOf(call: object): object | undefined {
  const values = (call as { values?: unknown }).values;
  return typeof values === "object" && values !== null ? values : undefined;
}

type Next = Parameters<Interceptor>[0];
type Request = Parameters<Next>[0];

function proceed(call: CallAuthorization, req: Request, next: Next): ReturnType<Next> {
  if (!call.decision.allowed) throw reject(call.decision);
  admit(req.contextValues, call);
  if (req.stream) return streaming(call, req, next);
  const decision = call.checkMessage(req.message);
  if (decision instanceof Promise) {
    return decision.then((d) => {
      enforce(d);
      return next(req);
    });
  }
  enforce(decision);
  return next(req);
}

async function streaming(call: CallAuthorization, req: Request & { stream: true }, next: Next): ReturnType<Next> {
  const stream = new CheckedStream(call);
  const message = call.checksMessages ? await stream.admitFirst(req.message) : stream.inbound(req.message[Symbol.asyncIterator]());
  const res = await next({ ...req, message });
  return res.stream ? { ...res, message: stream.outbound(res.message) } : res;
}

function enforce(decision: Decision): void {
  if (!decision.allowed) throw reject(decision);
}

/**
 * Checks every inbound message before the handler sees it. A denial ends the
 * call with that denial even if the handler catches the error it is thrown.
 */
class CheckedStream {
  private denied: ConnectError | undefined;
  constructor(private readonly call: CallAuthorization) {}

  private enforce(decision: Decision): void {
    if (!decision.allowed) throw (this.denied = reject(decision));
  }

  /** Reads and checks the first message before the handler exists. */
  async admitFirst<T>(messages: AsyncIterable<T>): Promise<AsyncIterable<T>> {
    const iterator = messages[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      this.enforce(this.call.checkEnd());
      return this.inbound(iterator, first);
    }
    const decision = this.call.checkMessage(first.value);
    this.enforce(decision instanceof Promise ? await decision : decision);
    return this.inbound(iterator, first);
  }

  async *inbound<T>(iterator: AsyncIterator<T>, admitted?: IteratorResult<T>): AsyncIterable<T> {
    let result = admitted ?? (await iterator.next());
    if (admitted !== undefined && admitted.done !== true) {
      yield admitted.value;
      result = await iterator.next();
    }
    try {
      while (result.done !== true) {
        // Awaits only when the engine is asked: no promise per message otherwise.
        const decision = this.call.checkMessage(result.value);
        this.enforce(decision instanceof Promise ? await decision : decision);
        yield result.value;
        result = await iterator.next();
      }
    } finally {
      if (result.done !== true) await iterator.return?.();
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
