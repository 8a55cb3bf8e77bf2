// @authzed/authzed-node is an optional peer: loaded when a SpiceDB checker is
// created, so importing protoauthz/spicedb without it installed does not fail,
// and creating a checker without it says which command installs it.

import type { v1 } from "@authzed/authzed-node";
import { loadOptionalPeer } from "../optional-peer.js";

export type AuthzedV1 = typeof v1;

let loaded: AuthzedV1 | undefined;

/** Loads authzed-node once; createSpiceDBChecker awaits it before anything else. */
export async function loadAuthzed(): Promise<AuthzedV1> {
  loaded ??= (await loadOptionalPeer("@authzed/authzed-node", "protoauthz/spicedb", () => import("@authzed/authzed-node"))).v1;
  return loaded;
}
