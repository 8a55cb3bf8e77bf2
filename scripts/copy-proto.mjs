// Copies the annotation schema into a package before `npm pack`, so users can
// point buf at node_modules/<package>/proto. The one source stays in proto/.
import { cpSync } from "node:fs";
import { resolve } from "node:path";

const target = process.argv[2] ?? "proto";
cpSync(resolve(import.meta.dirname, "../proto/protoauthz"), resolve(target, "protoauthz"), { recursive: true });
