// node --import ./hide-packages.mjs: the packages named in HIDE_PACKAGES
// (comma-separated) cannot be resolved, as if they were not installed.
import { register } from "node:module";

const hook = `
const hidden = new Set(${JSON.stringify((process.env.HIDE_PACKAGES ?? "").split(",").filter(Boolean))});
export async function resolve(specifier, context, next) {
  if (hidden.has(specifier)) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
