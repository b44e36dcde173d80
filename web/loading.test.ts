import { describe, expect, it } from "vitest";
import { describeLoad, formatBytes } from "./loading";

describe("the loading card's words", () => {
  it("writes sizes in B, KiB and MiB", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(195_217)).toBe("191 KiB");
    expect(formatBytes(1_130_496)).toBe("1.1 MiB");
    expect(formatBytes(124 * 1024 * 1024)).toBe("124 MiB");
  });

  it("says how far each file is", () => {
    expect(describeLoad(0, null, false)).toBe("waiting for the server…");
    expect(describeLoad(2048, null, false)).toBe("2 KiB so far");
    expect(describeLoad(51_200, 204_800, false)).toBe("50 KiB of 200 KiB (25%)");
    expect(describeLoad(204_800, 204_800, true)).toBe("done, 200 KiB");
  });
});
