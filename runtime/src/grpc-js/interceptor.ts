import { type Metadata, ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, status } from "@grpc/grpc-js";
import { admit, recognizeCalls } from "../call-record.js";
import { type Decision, deny, publicMessages } from "../decision.js";
import type { CallAuthorization, Guard } from "../guard-api.js";
import { MetadataRequest } from "./metadata-request.js";

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
  recognizeCalls(metadataOf);
  return (definition, call) => new GuardedCall(guard, definition.path, definition.requestStream, call);
}

/** A handler's call leads to its metadata, which the interceptor stamped. */
function metadataOf(call: object): object | undefined {
  const metadata = (call as { metadata?: unknown }).metadata;
  return typeof metadata === "object" && metadata !== null ? metadata : undefined;
}

/** The listener a call is started with (grpc-js does not export its name). */
type InterceptingServerListener = Parameters<ServerInterceptingCall["start"]>[0];

type Step<A> = (this: GuardedCall, arg: A) => void | Promise<void>;

/**
 * One guarded call: the call the handler sees, and the listener of the call
 * below it. Being both, it allocates one object per call and forwards every
 * event itself, instead of a responder, listener closures and grpc-js's
 * intercepting listener; nothing more per event unless an event has to wait.
 */
class GuardedCall extends ServerInterceptingCall implements InterceptingServerListener {
  /** The call below (the base class keeps it private). */
  readonly #next: ServerInterceptingCallInterface;
  /** The listener above: the handler, or an interceptor before this one. */
  #handler: InterceptingServerListener | undefined;
  #ended = false;
  #authorization: CallAuthorization | undefined;
  /** Forwards the held metadata, which starts a streaming handler. */
  #release: (() => void) | undefined;
  /** Set while an event waits (authentication, the engine): later events run after it. */
  #busy: Promise<void> | undefined;

  constructor(
    private readonly guard: Guard,
    private readonly procedure: string,
    private readonly requestStream: boolean,
    next: ServerInterceptingCallInterface,
  ) {
    super(next);
    this.#next = next;
  }

  override start(listener: InterceptingServerListener): void {
    this.#handler = listener;
    this.#next.start(this);
  }

  onReceiveMetadata(metadata: Metadata): void {
    this.#inOrder(this.#authenticate, metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.#inOrder(this.#check, message);
  }

  onReceiveHalfClose(): void {
    this.#inOrder(this.#checkEnd, undefined);
  }

  onCancel(): void {
    this.#ended = true;
    this.#handler?.onCancel();
  }

  #authenticate(metadata: Metadata): void | Promise<void> {
    const pending = this.guard.authorize(new MetadataRequest(this.procedure, metadata, this.#next));
    if (!(pending instanceof Promise)) return this.#authenticated(pending, metadata);
    return pending.then((authorization) => this.#authenticated(authorization, metadata));
  }

  #authenticated(authorization: CallAuthorization, metadata: Metadata): void {
    this.#authorization = authorization;
    if (this.#ended) return;
    if (!authorization.decision.allowed) {
      this.#end(authorization.decision);
    } else if (this.requestStream && authorization.checksMessages) {
      admit(metadata, authorization);
      // Hold the handler back; read the first message ourselves.
      this.#release = () => this.#handler?.onReceiveMetadata(metadata);
      this.#next.startRead();
    } else {
      admit(metadata, authorization);
      this.#handler?.onReceiveMetadata(metadata);
    }
  }

  #check(message: unknown): void | Promise<void> {
    const authorization = this.#authorization;
    if (this.#ended || authorization === undefined) return;
    const decision = authorization.checkMessage(message);
    if (!(decision instanceof Promise)) return this.#pass(decision) ? this.#handler?.onReceiveMessage(message) : undefined;
    return decision.then((d) => (this.#pass(d) ? this.#handler?.onReceiveMessage(message) : undefined));
  }

  #checkEnd(): void {
    const authorization = this.#authorization;
    if (this.#ended || authorization === undefined) return;
    if (this.#pass(authorization.checkEnd())) this.#handler?.onReceiveHalfClose();
  }

  /** Whether the event may go on to the handler; a denial ends the call. */
  #pass(decision: Decision): boolean {
    if (this.#ended) return false;
    if (!decision.allowed) {
      this.#end(decision);
      return false;
    }
    const held = this.#release;
    this.#release = undefined;
    held?.();
    return true;
  }

  #end(decision: Decision): void {
    if (this.#ended || decision.allowed) return;
    this.#ended = true;
    this.#next.sendStatus({ code: codes[decision.code], details: publicMessages[decision.code] });
  }

  /** Events run in order: a synchronous one at once, without a promise; one that waits holds every later one. */
  #inOrder<A>(step: Step<A>, arg: A): void {
    if (this.#busy !== undefined) {
      this.#wait(this.#busy.then(() => step.call(this, arg)));
      return;
    }
    try {
      const result = step.call(this, arg);
      if (result instanceof Promise) this.#wait(result);
    } catch {
      this.#end(deny("authenticator_failed"));
    }
  }

  #wait(work: Promise<void>): void {
    const busy: Promise<void> = work
      .catch(() => this.#end(deny("authenticator_failed")))
      .finally(() => {
        if (this.#busy === busy) this.#busy = undefined;
      });
    this.#busy = busy;
  }
}
