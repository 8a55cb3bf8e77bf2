// Serves the gateway's web page: `npx tsx examples/sandbox-gateway/web/main.ts`
// (after `npm run build`), then open the printed URL. Ctrl-C stops it.
import { readFileSync } from "node:fs";
import { build } from "esbuild";
import { startWebGateway } from "./server.js";

const bundle = await build({
  entryPoints: [new URL("./app.ts", import.meta.url).pathname],
  bundle: true,
  platform: "browser",
  format: "esm",
  write: false,
});
const html = readFileSync(new URL("./index.html", import.meta.url), "utf8");
const secret = crypto.getRandomValues(new Uint8Array(32)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
const gateway = await startWebGateway(secret, { html, script: bundle.outputFiles[0]?.text ?? "" }, Number(process.env.PORT ?? 0));
console.log(`sandbox gateway web page: ${gateway.url}/`);
