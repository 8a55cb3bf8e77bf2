export type { DecisionCacheOptions } from "./cache.js";
export {
  createSpiceDBChecker,
  type SpiceDBChecker,
  type SpiceDBCheckerOptions,
  type SpiceDBConsistency,
} from "./checker.js";
export {
  type ClusterOptions,
  clusterClient,
  type EmbeddedEngine,
  embeddedClient,
  type SpiceDBClient,
  SpiceDBError,
} from "./client.js";
export { isObjectId } from "./object-id.js";
export type { SubjectMapping, SubjectMappings } from "./subject.js";
