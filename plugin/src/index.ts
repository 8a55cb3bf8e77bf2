export { diffSurfaces, type SurfaceChange } from "./check/diff.js";
export { checkProject, type StaticFinding } from "./check/static.js";
export { runCli } from "./cli.js";
export { formatLocation, type Location } from "./location.js";
export { type AuthzOptions, parseOptions } from "./options.js";
export { protocGenAuthz } from "./plugin.js";
export { type SurfaceAlternative, type SurfaceRow, surfaceJson, surfaceRows, surfaceToMarkdown } from "./report.js";
