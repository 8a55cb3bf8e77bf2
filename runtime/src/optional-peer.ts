/**
 * Thrown when a feature needs an optional peer dependency that is not
 * installed: one line naming the package and the command that installs it,
 * instead of Node's ERR_MODULE_NOT_FOUND from deep inside the import graph.
 */
export class MissingPeerError extends Error {
  override name = "MissingPeerError";
  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(`protoauthz: ${feature} needs ${packageName}, which is not installed: npm install ${packageName}`, options);
  }
}

/**
 * Loads an optional peer with `load` (a dynamic import the caller writes, so
 * bundlers still see it); a missing package becomes a MissingPeerError. Any
 * other failure (the package is there but broken) is passed on as it is.
 */
export async function loadOptionalPeer<M>(packageName: string, feature: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, packageName)) throw new MissingPeerError(packageName, feature, { cause: error });
    throw error;
  }
}

/** Node's "cannot find package" for this very package, not for one of its own imports. */
function isMissing(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    typeof message === "string" &&
    (message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`))
  );
}
