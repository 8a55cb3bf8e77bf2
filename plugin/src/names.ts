import type { DescFile, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { printable } from "./escape.js";
import { locateMethod, locateService } from "./locate.js";
import { formatLocation, type Location } from "./location.js";
import { elementName } from "./model.js";
import type { Problem } from "./problem.js";

/** protoc's identifier grammar; names become identifiers and keys in generated code. */
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const packageName = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** What protobuf-es turns a field name into must be usable as `request.name`. */
const property = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const notAProperty = (file: DescFile, element: string, name: string, localName: string): Problem => ({
  file: file.proto.name,
  element,
  message: `field "${name}" becomes the property "${localName}", which is not a JavaScript identifier (protoc-gen-es cannot generate it either; rename the field)`,
});

const refuse = (location: Location, element: string, what: string, name: string): Problem => ({
  ...location,
  element,
  message: `${what} "${name}" is not a proto identifier (protoc refuses such names; build the request from .proto sources with protoc or buf)`,
});

/** "a/b/c.proto": what protoc and buf send, and what output paths are derived from. */
export function isCanonicalPath(path: string): boolean {
  const segments = path.split("/");
  return path.endsWith(".proto") && !path.includes("\\") && segments.every((s) => s !== "" && s !== "." && s !== "..");
}

/**
 * Names the generated code is made of: package, services, methods, and the
 * fields and oneofs accessors read. protoc never produces anything else, but a
 * request need not come from protoc.
 */
export function checkNames(files: readonly DescFile[]): Problem[] {
  const problems: Problem[] = [];
  const seenMessages = new Set<DescMessage>();
  const checkMessage = (message: DescMessage, file: DescFile) => {
    if (seenMessages.has(message)) return;
    seenMessages.add(message);
    for (const field of message.fields) {
      if (!identifier.test(field.name)) problems.push(refuse({ file: file.proto.name }, message.typeName, "field name", field.name));
      else if (!property.test(field.localName)) problems.push(notAProperty(file, message.typeName, field.name, field.localName));
      if (field.oneof !== undefined && !identifier.test(field.oneof.name))
        problems.push(refuse({ file: file.proto.name }, message.typeName, "oneof name", field.oneof.name));
      if (field.message !== undefined) checkMessage(field.message, field.message.file);
    }
  };
  for (const file of files) {
    // Paths reach import specifiers protoplugin writes, and every comment.
    if (printable(file.proto.name) !== file.proto.name) {
      problems.push({
        file: file.proto.name,
        element: file.proto.name,
        message: "the file path contains a control, line-break or invisible character (rename the file or its directory)",
      });
    } else if (!isCanonicalPath(file.proto.name)) {
      problems.push({
        file: file.proto.name,
        element: file.proto.name,
        message:
          'the file path is not a relative path of "/"-separated names ending in .proto (protoc and buf never send "//", ".", "..", "\\" or a leading "/"; build the request from .proto sources)',
      });
    }
    if (file.proto.package !== "" && !packageName.test(file.proto.package))
      problems.push(refuse({ file: file.proto.name }, file.proto.name, "package", file.proto.package));
    for (let s = 0; s < file.services.length; s++) {
      const service = file.services[s] as DescService;
      if (!identifier.test(service.name)) problems.push(refuse(locateService(service, s), service.typeName, "service name", service.name));
      // Indexed: per-RPC iterators allocate in a run too short to be optimized.
      for (let m = 0; m < service.methods.length; m++) {
        const method = service.methods[m] as DescMethod;
        if (!identifier.test(method.name))
          problems.push(refuse(locateMethod(method, s, m), elementName(service, method), "method name", method.name));
        checkMessage(method.input, file);
      }
    }
  }
  return problems;
}

/**
 * Two methods whose names differ only in case or underscores (GetFoo, getFoo,
 * get_foo) share one table key, and two services with one full name share a
 * procedure: the later would silently replace the earlier's rule.
 */
export function checkCollisions(files: readonly DescFile[]): Problem[] {
  const problems: Problem[] = [];
  const services = new Map<string, Location>();
  for (const file of files) {
    for (let s = 0; s < file.services.length; s++) {
      const service = file.services[s] as DescService;
      const here = locateService(service, s);
      const earlier = services.get(service.typeName);
      if (earlier !== undefined) {
        problems.push({
          ...here,
          element: service.typeName,
          message: `service is declared twice, also at ${formatLocation(earlier)} (give each service its own name)`,
        });
      } else services.set(service.typeName, here);
      const keys = new Map<string, number>(); // table key -> index of the first method with it
      for (let m = 0; m < service.methods.length; m++) {
        const method = service.methods[m] as DescMethod;
        const firstIndex = keys.get(method.localName);
        const first = firstIndex === undefined ? undefined : service.methods[firstIndex];
        if (first === undefined || firstIndex === undefined) {
          keys.set(method.localName, m);
          continue;
        }
        problems.push({
          ...locateMethod(method, s, m),
          element: elementName(service, method),
          message: `${method.name} and ${first.name} (${formatLocation(locateMethod(first, s, firstIndex))}) both become the table key "${method.localName}" (rename one of them)`,
        });
      }
    }
  }
  return problems;
}
