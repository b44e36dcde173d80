import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CMDLINE_MAX_BYTES, DEFAULT_PARAMS, MACHINES_MAX, SWITCH_NAME_MAX_CHARS, checkSnapshotUrl, RAM_MIB_MAX, RAM_MIB_MIN, describeParamError, parallelProblem, parseParams, parseRamMiB, ramBytesOf, type ClockMode,
} from "./params";

describe("parseParams: cpus", () => {
  it("takes 1 to 8 vCPUs and refuses anything else with the page's usual error, keeping the default", () => {
    expect(parseParams("?cpus=4").params.cpus).toBe(4);
    expect(parseParams("?cpus=1").errors).toEqual([]);
    for (const bad of ["0", "9", "2.5", "two", "", "-1"]) {
      const { params, errors } = parseParams(new URLSearchParams({ cpus: bad }));
      expect(params.cpus).toBe(1);
      expect(errors).toEqual([{ name: "cpus", value: bad, reason: "must be a whole number of vCPUs from 1 to 8" }]);
      expect(describeParamError(errors[0]!)).toBe(`cpus=${JSON.stringify(bad)} must be a whole number of vCPUs from 1 to 8; using the default, 1 vCPU.`);
    }
  });
});

describe("parseParams", () => {
  it("gives the defaults for an empty query", () => {
    expect(parseParams("")).toEqual({ params: DEFAULT_PARAMS, errors: [] });
    expect(DEFAULT_PARAMS).toEqual({ ramMiB: 128, clock: "realtime", cmdline: "", userland: true, disk: "auto", run: "", snapshot: "", gdbBridge: "", machines: 1, switch: "", cpus: 1, jit: true, parallel: false });
  });

  it("accepts every valid parameter together", () => {
    const { params, errors } = parseParams("?ram=512&clock=deterministic&cmdline=init%3D%2Fbin%2Fsh%20quiet");
    expect(errors).toEqual([]);
    expect(params).toEqual({ ramMiB: 512, clock: "deterministic", cmdline: "init=/bin/sh quiet", userland: true, disk: "auto", run: "", snapshot: "", gdbBridge: "", machines: 1, switch: "", cpus: 1, jit: true, parallel: false });
  });

  it("accepts the RAM bounds and rejects one past them", () => {
    expect(parseParams(`ram=${RAM_MIB_MIN}`).params.ramMiB).toBe(16);
    expect(parseParams(`ram=${RAM_MIB_MAX}`).params.ramMiB).toBe(2048);
    for (const bad of ["15", "2049", "0"]) {
      const { params, errors } = parseParams(`ram=${bad}`);
      expect(params.ramMiB).toBe(128);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ name: "ram", value: bad });
    }
  });

  it("rejects RAM that is not plain decimal MiB and keeps the exact bad value", () => {
    for (const bad of ["banana", "", "128MiB", "1e2", "0x80", "-64", "+64", " 64", "64.0", "９６", "99999999999"]) {
      const { params, errors } = parseParams(new URLSearchParams({ ram: bad }));
      expect(params.ramMiB, bad).toBe(128);
      expect(errors, bad).toEqual([{ name: "ram", value: bad, reason: expect.stringContaining("16 to 2048") }]);
    }
  });

  it("rejects an unknown clock mode, case-sensitively", () => {
    for (const bad of ["fast", "Realtime", "", "deterministic "]) {
      const { params, errors } = parseParams(new URLSearchParams({ clock: bad }));
      expect(params.clock).toBe("realtime");
      expect(errors).toEqual([{ name: "clock", value: bad, reason: "must be one of realtime, deterministic" }]);
    }
  });

  it("accepts any printable command line, including an empty one and non-ASCII text", () => {
    expect(parseParams("cmdline=").params.cmdline).toBe("");
    expect(parseParams(new URLSearchParams({ cmdline: "greeting=grüß dich ✓" })).params.cmdline).toBe("greeting=grüß dich ✓");
  });

  it("rejects a command line with control characters or over the byte limit", () => {
    const withNewline = parseParams(new URLSearchParams({ cmdline: "a\nb" }));
    expect(withNewline.params.cmdline).toBe("");
    expect(withNewline.errors[0]).toMatchObject({ name: "cmdline", value: "a\nb" });

    expect(parseParams(new URLSearchParams({ cmdline: "x".repeat(CMDLINE_MAX_BYTES) })).errors).toEqual([]);
    // The limit counts UTF-8 bytes, not characters: "é" is two bytes.
    const tooLong = parseParams(new URLSearchParams({ cmdline: "é".repeat(CMDLINE_MAX_BYTES / 2 + 1) }));
    expect(tooLong.errors[0]?.reason).toContain(`${CMDLINE_MAX_BYTES + 2} bytes`);
  });

  it("reports every bad parameter, keeping the good ones", () => {
    const { params, errors } = parseParams("?ram=lots&clock=sundial&cmdline=ok");
    expect(params).toEqual({ ramMiB: 128, clock: "realtime", cmdline: "ok", userland: true, disk: "auto", run: "", snapshot: "", gdbBridge: "", machines: 1, switch: "", cpus: 1, jit: true, parallel: false });
    expect(errors.map((e) => e.name)).toEqual(["ram", "clock"]);
  });

  it("ignores unknown parameters and uses the first of repeated ones", () => {
    const { params, errors } = parseParams("?foo=bar&ram=64&ram=banana");
    expect(errors).toEqual([]);
    expect(params.ramMiB).toBe(64);
  });
});

describe("parseRamMiB", () => {
  it("returns MiB for valid text and a reason otherwise", () => {
    expect(parseRamMiB("256")).toBe(256);
    expect(parseRamMiB("0256")).toBe(256);
    expect(parseRamMiB("x")).toEqual({ reason: expect.any(String) });
  });
});

describe("ramBytesOf", () => {
  it("converts MiB to bytes", () => {
    expect(ramBytesOf({ ...DEFAULT_PARAMS, ramMiB: 16 })).toBe(16 * 1024 * 1024);
    expect(ramBytesOf({ ...DEFAULT_PARAMS, ramMiB: 2048 })).toBe(2 ** 31);
  });
});

describe("describeParamError", () => {
  it("names the parameter, quotes the bad value and says which default is used", () => {
    const [error] = parseParams("ram=banana").errors;
    expect(describeParamError(error!)).toBe(
      'ram="banana" must be a whole number of MiB from 16 to 2048; using the default, 128 MiB.',
    );
    const [clockError] = parseParams("clock=sundial").errors;
    expect(describeParamError(clockError!)).toContain("using the default, realtime.");
  });
});

describe("the userland parameter", () => {
  it("boots the shell by default and the monitor alone with userland=0", () => {
    expect(parseParams("").params.userland).toBe(true);
    expect(parseParams("?userland=0").params.userland).toBe(false);
    expect(parseParams("?userland=1").params.userland).toBe(true);
  });

  it("reports anything else and keeps the shell", () => {
    const { params, errors } = parseParams("?userland=maybe");
    expect(params.userland).toBe(true);
    expect(errors).toEqual([{ name: "userland", value: "maybe", reason: expect.stringContaining("must be 1") }]);
    expect(describeParamError(errors[0]!)).toContain('userland="maybe"');
  });
});

describe("the disk parameter", () => {
  it("stores the disk in the browser by default and accepts idb and memory", () => {
    expect(parseParams("").params.disk).toBe("auto");
    expect(parseParams("?disk=memory").params.disk).toBe("memory");
    expect(parseParams("?disk=idb").params.disk).toBe("idb");
    expect(parseParams("?disk=auto").params.disk).toBe("auto");
  });

  it("rejects anything else, names it and falls back to the stored disk", () => {
    for (const bad of ["Memory", "opfs", "", "ram"]) {
      const { params, errors } = parseParams(new URLSearchParams({ disk: bad }));
      expect(params.disk, bad).toBe("auto");
      expect(errors, bad).toEqual([{ name: "disk", value: bad, reason: "must be one of auto, idb, memory" }]);
      expect(describeParamError(errors[0]!)).toContain("using the default, auto");
    }
  });
});

describe("run", () => {
  it("takes lines to type after boot, keys such as Ctrl-C and Ctrl-] included, and refuses NUL", () => {
    expect(parseParams("?run=ls%20-l%0Aecho%20hi").params.run).toBe("ls -l\necho hi");
    expect(parseParams("?run=spin%201%201000%0A%03%0A%1Dmem").params.run).toBe("spin 1 1000\n\x03\n\x1dmem");
    const bad = parseParams(new URLSearchParams({ run: "ls\u0000" }));
    expect(bad.params.run).toBe("");
    expect(bad.errors).toEqual([{ name: "run", value: "ls\u0000", reason: expect.stringContaining("NUL") }]);
    expect(describeParamError(bad.errors[0]!)).toContain("nothing typed after boot");
  });
});

describe("snapshot", () => {
  it("takes an http(s) address, absolute or relative to the page", () => {
    expect(parseParams("?snapshot=demo.keelsnap").params.snapshot).toBe("demo.keelsnap");
    expect(parseParams("?snapshot=https%3A%2F%2Fexample.org%2Fs%2Fdemo.keelsnap").params.snapshot).toBe("https://example.org/s/demo.keelsnap");
    expect(checkSnapshotUrl("/snaps/a.keelsnap")).toBeNull();
  });

  it("refuses what is not an http(s) address, saying why", () => {
    expect(checkSnapshotUrl("")).toMatch(/address/);
    expect(checkSnapshotUrl("javascript:alert(1)")).toMatch(/http or https/);
    expect(checkSnapshotUrl("file:///etc/passwd")).toMatch(/not file:/);
    expect(checkSnapshotUrl("data:application/octet-stream,KEELSNAP")).toMatch(/not data:/);
    expect(checkSnapshotUrl("https://user:pw@example.org/a.keelsnap")).toMatch(/password/);
    expect(checkSnapshotUrl("a b.keelsnap")).toMatch(/spaces/);
    expect(checkSnapshotUrl("http://[::1")).toMatch(/not a URL/);
    expect(checkSnapshotUrl(`https://example.org/${"a".repeat(3000)}`)).toMatch(/at most 2048/);
    const bad = parseParams("?snapshot=ftp%3A%2F%2Fh%2Fa.keelsnap");
    expect(bad.params.snapshot).toBe("");
    expect(describeParamError(bad.errors[0]!)).toBe('snapshot="ftp://h/a.keelsnap" must be an http or https address, not ftp:; using the default, a normal boot, without the snapshot.');
  });
});

describe("gdb-bridge", () => {
  it("takes a ws:// URL on this computer, and refuses any other with the reason", () => {
    expect(parseParams("?gdb-bridge=ws://127.0.0.1:8765")).toEqual({ params: { ...DEFAULT_PARAMS, gdbBridge: "ws://127.0.0.1:8765" }, errors: [] });
    const { params, errors } = parseParams("?gdb-bridge=wss://evil.example:8765");
    expect(params.gdbBridge).toBe("");
    expect(errors).toEqual([{ name: "gdb-bridge", value: "wss://evil.example:8765", reason: expect.stringContaining("must start with ws://") }]);
    expect(describeParamError(errors[0]!)).toMatch(/; using the default, no gdb bridge\.$/);
  });
});

describe("the cluster's parameters", () => {
  it("accepts 1 to 4 machines and a switch name", () => {
    for (const n of [1, 2, 3, MACHINES_MAX]) expect(parseParams(`machines=${n}`)).toMatchObject({ params: { machines: n }, errors: [] });
    expect(parseParams("switch=lab-2_b").params.switch).toBe("lab-2_b");
    expect(parseParams(`switch=${"a".repeat(SWITCH_NAME_MAX_CHARS)}`).errors).toEqual([]);
  });

  it("refuses a bad machine count with a clear message and falls back to one machine", () => {
    for (const bad of ["0", "5", "", "two", "2.0", "-2", " 2", "0x2", "44444"]) {
      const { params, errors } = parseParams(new URLSearchParams({ machines: bad }));
      expect(params.machines, bad).toBe(1);
      expect(errors, bad).toEqual([{ name: "machines", value: bad, reason: "must be a whole number from 1 to 4" }]);
      expect(describeParamError(errors[0]!)).toBe(`machines=${JSON.stringify(bad)} must be a whole number from 1 to 4; using the default, 1 (one machine).`);
    }
  });

  it("refuses a switch name that is empty, too long or holds other characters", () => {
    for (const bad of ["", "a b", "a/b", "ü", "x".repeat(SWITCH_NAME_MAX_CHARS + 1), "lab#1"]) {
      const { params, errors } = parseParams(new URLSearchParams({ switch: bad }));
      expect(params.switch, bad).toBe("");
      expect(errors, bad).toEqual([{ name: "switch", value: bad, reason: expect.stringContaining("letters, digits") }]);
      expect(describeParamError(errors[0]!)).toContain("using the default, no switch shared with other tabs.");
    }
  });

describe("jit", () => {
  it("is on by default and takes on and off, and 1 and 0", () => {
    expect(parseParams("").params.jit).toBe(true);
    expect(parseParams("jit=on")).toMatchObject({ params: { jit: true }, errors: [] });
    expect(parseParams("jit=1")).toMatchObject({ params: { jit: true }, errors: [] });
    expect(parseParams("jit=off")).toMatchObject({ params: { jit: false }, errors: [] });
    expect(parseParams("jit=0")).toMatchObject({ params: { jit: false }, errors: [] });
  });

  it("refuses anything else with a clear message and falls back to the default, on", () => {
    for (const bad of ["", "2", "00", "ON", "yes", "true", " on"]) {
      const { params, errors } = parseParams(new URLSearchParams({ jit: bad }));
      expect(params.jit, bad).toBe(true);
      expect(errors, bad).toEqual([{ name: "jit", value: bad, reason: expect.stringContaining("must be on") }]);
      expect(describeParamError(errors[0]!)).toBe(
        `jit=${JSON.stringify(bad)} must be on (compile hot code to WebAssembly) or off (interpret it), or 1 or 0; using the default, on (hot code compiled to WebAssembly).`);
    }
  });
});
});

describe("parallel", () => {
  it("is off unless asked for, and takes 1|0|on|off", () => {
    expect(parseParams("").params.parallel).toBe(false);
    expect(parseParams("parallel=1")).toMatchObject({ params: { parallel: true }, errors: [] });
    expect(parseParams("parallel=on")).toMatchObject({ params: { parallel: true }, errors: [] });
    expect(parseParams("parallel=0")).toMatchObject({ params: { parallel: false }, errors: [] });
    expect(parseParams("parallel=off")).toMatchObject({ params: { parallel: false }, errors: [] });
  });

  it("refuses anything else with a clear error and keeps the default", () => {
    for (const bad of ["", "yes", "2", "true", " 1", "ON"]) {
      const { params, errors } = parseParams(new URLSearchParams({ parallel: bad }));
      expect(params.parallel).toBe(false);
      expect(errors).toEqual([{ name: "parallel", value: bad, reason: expect.stringContaining("must be 1") }]);
      expect(describeParamError(errors[0]!)).toContain("using the default, 0 (vCPUs interleaved in one worker)");
    }
  });

  it("says why the page cannot run vCPUs in parallel, and accepts the one case it can", () => {
    expect(parallelProblem({ cpus: 2, clock: "realtime" }, true)).toBeNull();
    expect(parallelProblem({ cpus: 8, clock: "realtime" }, true)).toBeNull();
    expect(parallelProblem({ cpus: 1, clock: "realtime" }, true)).toContain("cpus=2");
    expect(parallelProblem({ cpus: 2, clock: "deterministic" }, true)).toContain("clock=realtime");
    expect(parallelProblem({ cpus: 2, clock: "realtime" }, false)).toContain("cross-origin isolated");
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom<ClockMode>("realtime", "deterministic"), fc.boolean(), (cpus, clock, isolated) => {
      expect(parallelProblem({ cpus, clock }, isolated) === null).toBe(cpus > 1 && clock === "realtime" && isolated);
    }));
  });
});
