// Runs before `npm pack` in a package folder: copies the annotation schema
// (so users can point buf at node_modules/<package>/proto) and the repo's
// LICENSE into the package. The one source of each stays at the repo root.
import { copyFileSync, cpSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
cpSync(resolve(root, "proto/protoauthz"), resolve("proto/protoauthz"), { recursive: true });
copyFileSync(resolve(root, "LICENSE"), resolve("LICENSE"));
