export { type AuthzOptions, parseOptions } from "./options.js";
export { protocGenAuthz } from "./plugin.js";
export { type SurfaceRow, surfaceRows, surfaceToMarkdown } from "./report.js";
