export { type AuthzTelemetry, type AuthzTelemetryOptions, createAuthzTelemetry } from "./telemetry.js";
