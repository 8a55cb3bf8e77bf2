import type { DescMethod } from "@bufbuild/protobuf";
import { procedurePath } from "../procedure-path.js";

/**
 * The procedures a Connect router serves (`createConnectRouter()` after your
 * routes ran), for checkCoverage / assertCoverage from "protoauthz".
 */
export function servedByConnectRouter(router: { readonly handlers: readonly { readonly method: DescMethod }[] }): string[] {
  return router.handlers.map((h) => procedurePath(h.method));
}
