// The capability helpers of user/lib/caps.c, tested on the host: the file
// is pure (no system calls), so it is compiled with the host's clang under
// AddressSanitizer and UBSan together with a few lines of driver C, and its
// answers are checked against a JS model for every type and every rights
// mask (plus bits outside the six rights, which must be ignored).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const USER = dirname(fileURLToPath(import.meta.url));
const HOST_FLAGS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-builtin", "-Wall", "-Werror"];

// Prints "TYPE\tNAME" for types -2..12, then "MASK\tLETTERS" for each mask
// given on the command line.
const DRIVER = `
#include <stdio.h>
#include <stdlib.h>
const char *cap_type_name(int type);
void cap_rights_string(int rights, char *out);
int main(int argc, char **argv) {
  for (int t = -2; t <= 12; t++) printf("%d\\t%s\\n", t, cap_type_name(t));
  for (int i = 1; i < argc; i++) {
    char out[8] = {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};  // out[6] must become the NUL, out[7] stay
    int mask = atoi(argv[i]);
    cap_rights_string(mask, out);
    printf("%d\\t%s\\t%c\\n", mask, out, out[7]);
  }
  return 0;
}
`;

let work = "";
let driverPath = "";

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "keel-caps-"));
  const driverSource = join(work, "driver.c");
  writeFileSync(driverSource, DRIVER);
  driverPath = join(work, "driver");
  // caps.c includes only user.h, whose declarations never meet host libc here.
  execFileSync("clang", [...HOST_FLAGS, "-I", join(USER, "include"), join(USER, "lib", "caps.c"), driverSource, "-o", driverPath]);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(masks: number[]): string[] {
  return execFileSync(driverPath, masks.map(String), { encoding: "utf8" }).trimEnd().split("\n");
}

const TYPE_NAMES: Record<number, string> = {
  1: "file", 2: "dir", 3: "pipe-r", 4: "pipe-w", 5: "console", 6: "endpoint", 7: "notify", 8: "memory", 9: "process", 10: "cspace",
  11: "device",
};

/** The model: letter i of "rwxdgD" when right bit i is set, else '-'. */
function rightsModel(mask: number): string {
  return [..."rwxdgD"].map((letter, i) => (mask & (1 << i) ? letter : "-")).join("");
}

describe("cap_type_name", () => {
  it("names the eleven kernel object types and answers ? for anything else", () => {
    const lines = run([]);
    for (let t = -2; t <= 12; t++) expect(lines[t + 2], `type ${t}`).toBe(`${t}\t${TYPE_NAMES[t] ?? "?"}`);
  });
});

describe("cap_rights_string", () => {
  it("writes six letters in the order rwxdgD and a NUL, for every mask", () => {
    const masks = Array.from({ length: 64 }, (_, m) => m);
    const lines = run(masks).slice(15);
    masks.forEach((m, i) => expect(lines[i], `mask ${m}`).toBe(`${m}\t${rightsModel(m)}\tx`));
  });

  it("matches the documented examples and ignores bits above the six rights", () => {
    const lines = run([1 | 16 | 32, 1 | 2 | 16 | 32, 63, 0, 64, 64 | 3, -1]).slice(15);
    expect(lines).toEqual(["49\tr---gD\tx", "51\trw--gD\tx", "63\trwxdgD\tx", "0\t------\tx", "64\t------\tx", "67\trw----\tx", "-1\trwxdgD\tx"]);
  });
});
