// A CommonJS consumer, as the README describes: require() of the ES module
// packages works on every supported Node (>= 22.12); import() works everywhere.
const assert = require("node:assert");
const protoauthz = require("protoauthz");
assert.equal(typeof protoauthz.createGuard, "function");
assert.equal(typeof require("protoauthz/grpc-js").grpcServiceDefinition, "function");
import("protoauthz").then((m) => {
  assert.equal(m.createGuard, protoauthz.createGuard);
  console.log("commonjs consumer: ok");
});
