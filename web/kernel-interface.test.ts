// web/kernel-interface.ts: a kernel built in the page is booted only when
// the host can supply what it imports and finds what it calls.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeModule, interfaceProblem, type ModuleInterface } from "./kernel-interface";

const SHIPPED: ModuleInterface = {
  imports: [{ module: "env", name: "memory", kind: "memory" }, { module: "hv", name: "log", kind: "function" }],
  exports: [{ name: "kmain", kind: "function" }, { name: "_initialize", kind: "function" }],
};

describe("kernel interface check", () => {
  it("accepts the same interface, fewer imports and more exports", () => {
    expect(interfaceProblem(SHIPPED, SHIPPED)).toBeNull();
    expect(interfaceProblem(SHIPPED, {
      imports: [SHIPPED.imports[0]!], exports: [...SHIPPED.exports, { name: "extra", kind: "global" }],
    })).toBeNull();
  });

  it("names an import the host lacks, a missing export, and a changed kind", () => {
    expect(interfaceProblem(SHIPPED, { ...SHIPPED, imports: [...SHIPPED.imports, { module: "hv", name: "new", kind: "function" }] }))
      .toBe("it imports hv.new, which the host does not provide");
    expect(interfaceProblem(SHIPPED, { ...SHIPPED, exports: [SHIPPED.exports[1]!] }))
      .toBe("it does not export kmain, which the host calls");
    expect(interfaceProblem(SHIPPED, { ...SHIPPED, imports: [{ module: "hv", name: "log", kind: "global" }] }))
      .toMatch(/imports hv.log as a global, but the host provides a function/);
    expect(interfaceProblem(SHIPPED, { ...SHIPPED, exports: [{ name: "kmain", kind: "global" }, SHIPPED.exports[1]!] }))
      .toMatch(/exports kmain as a global/);
  });

  it("passes the shipped kernel against itself", () => {
    const module = new WebAssembly.Module(readFileSync("build/kernel.wasm"));
    const shipped = describeModule(module);
    expect(shipped.exports.length).toBeGreaterThan(0);
    expect(interfaceProblem(shipped, shipped)).toBeNull();
  });
});
