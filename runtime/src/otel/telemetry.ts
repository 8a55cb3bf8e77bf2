import { type Attributes, type MeterProvider, metrics, trace } from "@opentelemetry/api";
import type { AuditHook, AuthzEvent } from "../audit.js";
import { configError, isAuthenticationError } from "../errors.js";
import type { Authenticate, AuthnRequest } from "../guard-api.js";
import type { Principal } from "../principal.js";
import { isThenable } from "../thenable.js";

export interface AuthzTelemetryOptions {
  /** Where the instruments live. Default: the global meter provider. */
  readonly meterProvider?: MeterProvider;
  /** Receives every event after it is recorded, e.g. your audit log. */
  readonly audit?: AuditHook;
}

export interface AuthzTelemetry {
  /** Pass as the guard's `audit`: counts decisions, annotates the active span. */
  readonly audit: AuditHook;
  /** Wraps the guard's `authenticate` to time it. Synchronous authenticators stay synchronous. */
  authenticate<P extends Principal>(inner: Authenticate<P>): Authenticate<P>;
}

/**
 * OpenTelemetry for the guard, built on its public hooks only: a counter of
 * decisions (`protoauthz.decisions`), a histogram of authentication time
 * (`protoauthz.authentication.duration`, seconds), and attributes on the
 * active span. Labels are bounded and carry no secrets: procedure, outcome,
 * reason, principal kind. Never a token, header or subject.
 */
export function createAuthzTelemetry(options: AuthzTelemetryOptions = {}): AuthzTelemetry {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter("protoauthz");
  const decisions = meter.createCounter("protoauthz.decisions", {
    description: "Authorization decisions of the protoauthz guard",
    unit: "{decision}",
  });
  const duration = meter.createHistogram("protoauthz.authentication.duration", {
    description: "Time the guard's authenticate function took",
    unit: "s",
  });
  const next = options.audit;

  const audit: AuditHook = (event) => {
    const kind = event.principal?.kind ?? "anonymous";
    decisions.add(1, {
      "protoauthz.procedure": event.procedure,
      "protoauthz.outcome": outcomeOf(event),
      "protoauthz.reason": event.reason,
      "protoauthz.principal.kind": kind,
    });
    trace.getActiveSpan()?.setAttributes({
      "protoauthz.allowed": event.allowed,
      "protoauthz.enforced": event.enforced,
      "protoauthz.reason": event.reason,
      "protoauthz.principal.kind": kind,
      ...(event.access !== undefined && { "protoauthz.access": event.access }),
    });
    return next?.(event);
  };

  const authenticate = <P extends Principal>(inner: Authenticate<P>): Authenticate<P> => {
    if (typeof inner !== "function") {
      throw configError("protoauthz/otel authenticate", `got ${typeof inner}, not a function`, "pass the authenticate function to time");
    }
    const timed = (request: AuthnRequest): ReturnType<Authenticate<P>> => {
      const started = performance.now();
      const record = (outcome: string) =>
        duration.record((performance.now() - started) / 1000, {
          "protoauthz.procedure": request.procedure,
          "protoauthz.authentication.outcome": outcome,
        } satisfies Attributes);
      let result: ReturnType<Authenticate<P>>;
      try {
        result = inner(request);
      } catch (error) {
        record(failureOf(error));
        throw error;
      }
      if (!isThenable(result)) {
        record(result === undefined ? "anonymous" : "principal");
        return result;
      }
      return Promise.resolve(result).then(
        (principal) => {
          record(principal === undefined ? "anonymous" : "principal");
          return principal;
        },
        (error: unknown) => {
          record(failureOf(error));
          throw error;
        },
      );
    };
    // Timing changes nothing the guard checks at start: the principals it can produce.
    return Object.assign(timed, { produces: inner.produces });
  };

  return { audit, authenticate };
}

function outcomeOf(event: AuthzEvent): "allowed" | "denied" | "would_deny" {
  if (event.allowed) return "allowed";
  return event.enforced ? "denied" : "would_deny";
}

const failureOf = (error: unknown) => (isAuthenticationError(error) ? "invalid_credentials" : "failed");
