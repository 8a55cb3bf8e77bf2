import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { explainBufFailure, InputError } from "./image.js";
import { repositoryRoot } from "./paths.js";

/**
 * Builds the buf image the API had at a git ref, the way the current one is
 * built: the ref is checked out in a temporary worktree, which borrows this
 * checkout's node_modules (not in git, yet the README's buf.yaml reaches the
 * schema through them), and buf runs from the same folder, on the same input
 * directory (or the workspace, when the current input is an image).
 * The image is undefined when the input directory did not exist at the ref:
 * every RPC is then new. `configPath` (relative to the working directory) is
 * read from the same revision: the base is judged with its own buf.gen.yaml.
 */
export function buildAtRef(
  ref: string,
  input: string | undefined,
  inputIsDirectory: boolean,
  configPath?: string,
): { image: Uint8Array | undefined; config: string | undefined } {
  const root = repositoryRoot();
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new InputError(
      `--against-git ${ref}: no such commit here (fetch it first, e.g. 'git fetch origin main', or actions/checkout with fetch-depth: 0)`,
    );
  }
  const worktree = mkdtempSync(join(tmpdir(), "protoauthz-base-"));
  try {
    git("-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet", worktree, ref);
    const here = relative(root, process.cwd());
    for (const folder of new Set(["", here])) {
      const modules = join(root, folder, "node_modules");
      const borrowed = join(worktree, folder, "node_modules");
      if (existsSync(modules) && existsSync(join(worktree, folder)) && !existsSync(borrowed)) symlinkSync(modules, borrowed, "dir");
    }
    const cwd = join(worktree, here);
    const configFile = configPath === undefined ? undefined : join(worktree, relative(root, resolve(configPath)));
    const config = configFile !== undefined && existsSync(configFile) ? readFileSync(configFile, "utf8") : undefined;
    const target = inputIsDirectory && input !== undefined ? relative(process.cwd(), resolve(input)) : ".";
    if (!existsSync(join(cwd, target))) return { image: undefined, config };
    try {
      const image = execFileSync("buf", ["build", target, "-o", "-#format=binpb"], {
        cwd,
        maxBuffer: 1 << 30,
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { image, config };
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT")
        throw new InputError("--against-git needs buf on PATH (run through npx or an npm script)");
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message;
      throw new InputError(
        `--against-git ${ref}: buf build of the base failed: ${explainBufFailure(stderr.replaceAll(worktree, "<base>"))}`,
      );
    }
  } finally {
    try {
      git("worktree", "remove", "--force", worktree);
    } catch {
      rmSync(worktree, { recursive: true, force: true });
      try {
        git("worktree", "prune");
      } catch {}
    }
  }
}
