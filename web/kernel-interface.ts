// Checks a kernel built in the page (web/code/) against the shipped one
// before the worker boots it: the host (host/machine.ts) supplies exactly
// the shipped kernel's imports and calls its exports, so a new kernel may
// import only what the shipped one imports and must export everything the
// shipped one exports, each of the same kind. Signatures are not visible
// through the JS API; a mismatch there fails when the machine is built, and
// the worker then gives the previous kernel back.

/** What WebAssembly.Module.imports/exports describe, as this check reads it. */
export interface ModuleInterface {
  imports: { module: string; name: string; kind: string }[];
  exports: { name: string; kind: string }[];
}

export function describeModule(module: WebAssembly.Module): ModuleInterface {
  return { imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module) };
}

/** Why `candidate` cannot stand in for `shipped`, or null. */
export function interfaceProblem(shipped: ModuleInterface, candidate: ModuleInterface): string | null {
  const offered = new Map(shipped.imports.map((i) => [`${i.module}.${i.name}`, i.kind]));
  for (const wanted of candidate.imports) {
    const key = `${wanted.module}.${wanted.name}`;
    const kind = offered.get(key);
    if (kind === undefined) return `it imports ${key}, which the host does not provide`;
    if (kind !== wanted.kind) return `it imports ${key} as a ${wanted.kind}, but the host provides a ${kind}`;
  }
  const given = new Map(candidate.exports.map((e) => [e.name, e.kind]));
  for (const needed of shipped.exports) {
    const kind = given.get(needed.name);
    if (kind === undefined) return `it does not export ${needed.name}, which the host calls`;
    if (kind !== needed.kind) return `it exports ${needed.name} as a ${kind}, but the host needs a ${needed.kind}`;
  }
  return null;
}

export function kernelInterfaceProblem(shipped: WebAssembly.Module, candidate: WebAssembly.Module): string | null {
  return interfaceProblem(describeModule(shipped), describeModule(candidate));
}
