import { describe, expect, it } from "vitest";
import { parseTraceFilter, traceMatches } from "./trace-panel";

const rec = (pid: number, name: string) => ({ seq: 0, pid, num: 0, name, line: `[${pid}] ${name}()` });

describe("the System calls panel's filters", () => {
  it("parse a pid and a list of call names, and refuse what is not a pid", () => {
    expect(parseTraceFilter("", "")).toEqual({ pid: null, names: [] });
    expect(parseTraceFilter(" 7 ", "write, exit,,")).toEqual({ pid: 7, names: ["write", "exit"] });
    expect(parseTraceFilter("0", "")).toBe('"0" is not a pid');
    expect(parseTraceFilter("-3", "")).toBe('"-3" is not a pid');
    expect(parseTraceFilter("7a", "")).toBe('"7a" is not a pid');
  });

  it("let through exactly the records of that pid and those calls", () => {
    const f = parseTraceFilter("7", "write");
    if (typeof f === "string") throw new Error(f);
    expect(traceMatches(rec(7, "write"), f)).toBe(true);
    expect(traceMatches(rec(8, "write"), f)).toBe(false);
    expect(traceMatches(rec(7, "writev"), f)).toBe(false);
    expect(traceMatches(rec(9, "exit"), { pid: null, names: [] })).toBe(true);
  });
});
