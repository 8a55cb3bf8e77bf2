import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Schema } from "@bufbuild/protoplugin";
import { type AlternativeRequirements, type Rule, ruleRequirements } from "protoauthz/tool";
import type { Location } from "./location.js";
import type { MethodModel, ServiceModel } from "./model.js";
import type { AuthzOptions } from "./options.js";
import { jsonDocument } from "./render.js";
import { version } from "./version.js";

/**
 * The JSON manifest (option `manifest=<path>`): every RPC's requirements, for
 * clients in other languages, API docs and gateways. Its JSON Schema ships
 * in this package as the file `manifest.schema.json`. It holds what
 * `protoc-gen-authz report` shows, structured.
 */
export interface Manifest {
  readonly $schema: typeof schemaId;
  readonly generator: string;
  readonly rpcs: readonly ManifestRpc[];
}

export interface ManifestRpc {
  /** "/pkg.Service/Method". */
  readonly procedure: string;
  readonly service: string;
  readonly method: string;
  readonly access: Rule["access"];
  /** The rule's reason (public, deny, audit); "" otherwise. */
  readonly reason: string;
  /** Whether a caller needs a credential: authenticated and any_of rules. */
  readonly credentialNeeded: boolean;
  /** Every kind some alternative admits; empty when any kind will do or none is needed. */
  readonly kinds: readonly string[];
  /** One per way of being admitted (one for authenticated, one per any_of alternative); empty otherwise. */
  readonly alternatives: readonly ManifestAlternative[];
  /** Where the rule comes from: method, service_default or undeclared. */
  readonly source: string;
  /** Where it is written (the method's rule, or the service's default_rule). */
  readonly location: { readonly file: string; readonly line: number | null; readonly column: number | null };
  /** The RPC's declared idempotency_level: a browser may call a NO_SIDE_EFFECTS RPC by GET. */
  readonly idempotency: "NO_SIDE_EFFECTS" | "IDEMPOTENT" | "IDEMPOTENCY_UNKNOWN";
}

/** One way of being admitted, as `requirementsOf` in `protoauthz/client` shows it. */
export type ManifestAlternative = AlternativeRequirements;

export const schemaId = "https://protoauthz.dev/schemas/manifest/v1.json";

/** The manifest of everything collected, RPCs sorted by procedure (as the report sorts them). */
export function manifestOf(services: readonly ServiceModel[]): Manifest {
  const rpcs = services.flatMap(({ service, methods }) => methods.map((m) => rpcOf(service.typeName, m)));
  rpcs.sort((a, b) => (a.procedure < b.procedure ? -1 : a.procedure > b.procedure ? 1 : 0));
  return { $schema: schemaId, generator: `protoc-gen-authz v${version}`, rpcs };
}

function rpcOf(service: string, { method, rule, source, location }: MethodModel): ManifestRpc {
  const { reason, credentialNeeded, kinds, alternatives } = ruleRequirements(rule);
  return {
    procedure: `/${service}/${method.name}`,
    service,
    method: method.name,
    access: rule.access,
    reason: reason ?? "",
    credentialNeeded,
    kinds,
    alternatives,
    source,
    location: structured(location),
    idempotency: idempotencyNames[method.idempotency] ?? "IDEMPOTENCY_UNKNOWN",
  };
}

const idempotencyNames: Record<number, ManifestRpc["idempotency"]> = {
  [MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN]: "IDEMPOTENCY_UNKNOWN",
  [MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS]: "NO_SIDE_EFFECTS",
  [MethodOptions_IdempotencyLevel.IDEMPOTENT]: "IDEMPOTENT",
};

/** The rule's place; null where the line (or column) is unknown. */
function structured({ file, line, column }: Location): ManifestRpc["location"] {
  return { file, line: line ?? null, column: line === undefined ? null : (column ?? 1) };
}

/** Writes the manifest (option `manifest=<path>`) into the output. */
export function emitManifest(schema: Schema<AuthzOptions>, services: readonly ServiceModel[]): void {
  schema.generateFile(schema.options.manifest).print(jsonDocument(manifestOf(services)));
}
