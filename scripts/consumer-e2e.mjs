#!/usr/bin/env node
// A user's first hour, from the packed packages: `npm pack` both packages,
// install the tarballs into a fresh project outside the repository, check that
// one copy of each shared library is installed, `buf generate` with the
// README's layout, type-check under strict, run the guarded servers'
// end-to-end matrix, and load the packages from CommonJS.
//
//   node scripts/consumer-e2e.mjs [--versions pinned|latest|oldest] [--keep]
//
// pinned: the versions this repository develops against (from the cache).
// latest: the newest published protobuf-es, protoc-gen-es, Connect, grpc-js.
// oldest: the floor of each peer range the packages declare (protobuf-es,
//   protoplugin and protoc-gen-es on one version, connect-node on Connect's),
//   so the ranges claim only what is tested. CI runs it on the oldest Node.
// Installs with --engine-strict: an engine warning on this Node is a failure.
// Prints "project: <dir>" when --keep leaves the project for further steps.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { versions: { type: "string", default: "pinned" }, keep: { type: "boolean", default: false } } });
if (!["pinned", "latest", "oldest"].includes(values.versions)) fail("--versions: use pinned, latest or oldest");

const work = mkdtempSync(join(tmpdir(), "protoauthz-consumer-"));
const project = join(work, "project");
const started = Date.now();
const env = { ...process.env, PATH: `${join(project, "node_modules/.bin")}:${process.env.PATH}`, npm_config_update_notifier: "false" };

function fail(message) {
  console.error(`consumer-e2e: ${message}`);
  process.exit(1);
}

/** Runs a step; on failure prints its output and stops. */
function step(name, command, args, cwd = project) {
  const t = Date.now();
  try {
    const out = execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    return out;
  } catch (error) {
    console.log(`FAIL ${name}\n${error.stdout ?? ""}${error.stderr ?? error.message}`);
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }
}

function check(name, ok, detail = "") {
  if (!ok) fail(`${name}${detail ? `: ${detail}` : ""}`);
  console.log(`ok   ${name}`);
}

try {
  console.log(`node ${process.version}, ${values.versions} libraries, in ${work}`);
  for (const pkg of ["runtime", "plugin"]) {
    if (!existsSync(join(root, pkg, "dist/index.js"))) fail(`${pkg}/dist is missing: run 'npm run build' first`);
  }
  // 1. The tarballs, exactly as npm publish would make them.
  const packs = join(work, "packs");
  mkdirSync(packs);
  const tarball = {};
  for (const pkg of ["runtime", "plugin"]) {
    const out = step(`npm pack ${pkg}`, "npm", ["pack", "--json", "--pack-destination", packs], join(root, pkg));
    const [{ filename, files }] = JSON.parse(out.slice(out.indexOf("[")));
    const paths = files.map((f) => f.path);
    for (const required of ["README.md", "LICENSE", "package.json", "proto/protoauthz/v1/authz.proto"]) {
      check(`${pkg} tarball holds ${required}`, paths.includes(required));
    }
    tarball[pkg] = join(packs, filename);
  }

  // 2. A fresh project with the README's buf.yaml, buf.gen.yaml and strict tsconfig.
  cpSync(join(import.meta.dirname, "consumer"), project, { recursive: true });
  const dev = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies;
  const newest = [
    "@bufbuild/protobuf",
    "@bufbuild/protoplugin",
    "@bufbuild/protoc-gen-es",
    "@connectrpc/connect",
    "@connectrpc/connect-node",
    "@grpc/grpc-js",
  ];
  // "latest" resolved once to an exact version: a dist-tag in package.json can
  // move between install and `npm ls`, which then calls the install invalid.
  const latest = (name) => step(`latest ${name}`, "npm", ["view", `${name}@latest`, "version"]).trim();
  const floor = oldestPeers();
  const version = (name) => {
    if (values.versions === "latest" && newest.includes(name)) return latest(name);
    if (values.versions === "oldest" && floor[name] !== undefined) return floor[name];
    return dev[name];
  };
  const manifest = {
    name: "protoauthz-consumer",
    private: true,
    type: "module",
    scripts: { generate: "buf generate", test: "tsc -p . && node dist/matrix.js" },
    dependencies: {
      protoauthz: `file:${tarball.runtime}`,
      "@bufbuild/protobuf": version("@bufbuild/protobuf"),
      "@connectrpc/connect": version("@connectrpc/connect"),
      "@connectrpc/connect-node": version("@connectrpc/connect-node"),
      "@grpc/grpc-js": version("@grpc/grpc-js"),
    },
    devDependencies: {
      "protoc-gen-authz": `file:${tarball.plugin}`,
      "@bufbuild/protoc-gen-es": version("@bufbuild/protoc-gen-es"),
      // Released together with protobuf and protoc-gen-es: keep all three on one version.
      "@bufbuild/protoplugin": version("@bufbuild/protoplugin"),
      "@bufbuild/buf": dev["@bufbuild/buf"],
      "@types/node": dev["@types/node"],
      typescript: dev.typescript,
      "ts-morph": dev["ts-morph"], // for protoc-gen-authz check --project
    },
  };
  writeFileSync(join(project, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  step("npm install", "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--engine-strict", "--loglevel=error"]);

  // 3. One copy of each library the packages share with the project.
  for (const name of ["@bufbuild/protobuf", "@bufbuild/protoplugin", "@connectrpc/connect", "@grpc/grpc-js", "protoauthz"]) {
    const copies = installed(join(project, "node_modules"), name);
    check(`one copy of ${name} (${copies.map((c) => c.version).join(", ")})`, copies.length === 1, copies.map((c) => c.path).join(", "));
    const listed = new Set(step(`npm ls ${name}`, "npm", ["ls", name, "--all", "--parseable"]).trim().split("\n"));
    check(`npm ls ${name} shows one`, listed.size === 1, [...listed].join(", "));
  }
  for (const pkg of ["protoauthz", "protoc-gen-authz"]) {
    const meta = JSON.parse(readFileSync(join(project, "node_modules", pkg, "package.json"), "utf8"));
    check(
      `${pkg} names repository, homepage, bugs, keywords, license`,
      Boolean(meta.repository && meta.homepage && meta.bugs && meta.keywords?.length && meta.license),
    );
  }

  // 4. Generate with the README's layout: no second copy of the schema's code.
  step("buf generate", "npx", ["buf", "generate"]);
  check("src/gen/notes/v1/notes_authz.ts generated", existsSync(join(project, "src/gen/notes/v1/notes_authz.ts")));
  check("no unused src/gen/protoauthz/v1/authz_pb.ts", !existsSync(join(project, "src/gen/protoauthz")));
  step("protoc-gen-authz check proto", "npx", ["protoc-gen-authz", "check", "proto"]);

  // 5. Strict type-check and build, then the guarded servers, then CommonJS.
  step("tsc (strict)", "npx", ["tsc", "-p", "."]);
  console.log(step("end-to-end matrix", process.execPath, ["dist/matrix.js"]).trimEnd());
  console.log(step("CommonJS consumer", process.execPath, ["src/cjs-consumer.cjs"]).trimEnd());
  const versions = Object.fromEntries(
    ["@bufbuild/protobuf", "@bufbuild/protoc-gen-es", "@connectrpc/connect", "@grpc/grpc-js"].map((n) => [
      n,
      installed(join(project, "node_modules"), n)[0]?.version,
    ]),
  );
  console.log(
    `consumer-e2e: ok on node ${process.version} with ${JSON.stringify(versions)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (values.keep) console.log(`project: ${project}`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}

/**
 * The lowest version each peer range of the two packages admits ("^2.13.0" ->
 * "2.13.0"), plus the packages released in lockstep with one of them.
 */
function oldestPeers() {
  const peers = {};
  for (const pkg of ["runtime", "plugin"]) {
    Object.assign(peers, JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8")).peerDependencies);
  }
  const lowest = (name) => {
    const match = /^\^(\d+\.\d+\.\d+)$/.exec(peers[name] ?? "");
    if (match === null) fail(`--versions oldest: the peer range of ${name} (${peers[name]}) is not ^x.y.z`);
    return match[1];
  };
  const protobuf = lowest("@bufbuild/protobuf");
  if (lowest("@bufbuild/protoplugin") !== protobuf) fail("--versions oldest: protobuf and protoplugin peer floors differ");
  const connect = lowest("@connectrpc/connect");
  return {
    "@bufbuild/protobuf": protobuf,
    "@bufbuild/protoplugin": protobuf,
    "@bufbuild/protoc-gen-es": protobuf,
    "@connectrpc/connect": connect,
    "@connectrpc/connect-node": connect,
    "@grpc/grpc-js": lowest("@grpc/grpc-js"),
  };
}

/** Every installed copy of a package under node_modules, nested ones included. */
function installed(modules, name, found = []) {
  if (!existsSync(modules)) return found;
  const manifest = join(modules, name, "package.json");
  if (existsSync(manifest)) found.push({ path: join(modules, name), version: JSON.parse(readFileSync(manifest, "utf8")).version });
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === ".bin") continue;
    const scoped = entry.name.startsWith("@") ? readdirSync(join(modules, entry.name)).map((n) => join(entry.name, n)) : [entry.name];
    for (const pkg of scoped) installed(join(modules, pkg, "node_modules"), name, found);
  }
  return found;
}
