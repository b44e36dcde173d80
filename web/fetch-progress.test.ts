import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { announcedTotal, type FetchProgress, readWithProgress } from "./fetch-progress";

/** A real Response whose body arrives in the given chunks. */
function chunkedResponse(chunks: Uint8Array[], headers: Record<string, string> = {}): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
  return new Response(body, { headers });
}

describe("readWithProgress", () => {
  it("reports bytes as they arrive and the whole at the end, in order", async () => {
    fc.assert(await fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 20 }),
      fc.boolean(),
      async (chunks, announce) => {
        const length = chunks.reduce((sum, c) => sum + c.length, 0);
        const reports: FetchProgress[] = [];
        let clock = 0;
        // Every read is "200 ms later": each chunk gets a report.
        const bytes = await readWithProgress(
          chunkedResponse(chunks, announce && length > 0 ? { "content-length": String(length) } : {}),
          (report) => reports.push(report),
          () => (clock += 200),
        );
        expect(Array.from(bytes)).toEqual(chunks.flatMap((c) => Array.from(c)));
        // Invariants: loaded never goes down and never passes the total; one
        // report at the start, done only at the end, with the whole length.
        expect(reports[0]).toEqual({ loaded: 0, total: announce && length > 0 ? length : null, done: false });
        for (let i = 1; i < reports.length; i++) {
          expect(reports[i]!.loaded).toBeGreaterThanOrEqual(reports[i - 1]!.loaded);
          const total = reports[i]!.total;
          if (total !== null) expect(reports[i]!.loaded).toBeLessThanOrEqual(total);
        }
        expect(reports.filter((r) => r.done)).toEqual([{ loaded: length, total: length, done: true }]);
        expect(reports.at(-1)!.done).toBe(true);
        // Intermediate reports: one per chunk but the last, which the final report covers.
        expect(reports.length).toBeGreaterThanOrEqual(chunks.length + 1);
      },
    ), { numRuns: 50 });
  });

  it("reports no more often than every 100 ms while bytes arrive", async () => {
    const chunks = Array.from({ length: 10 }, () => new Uint8Array(10));
    const reports: FetchProgress[] = [];
    let clock = 0;
    await readWithProgress(chunkedResponse(chunks), (r) => reports.push(r), () => (clock += 30));
    // 10 reads 30 ms apart, reported about every 100 ms, plus the start and the end.
    expect(reports.length).toBeLessThan(8);
    expect(reports.length).toBeGreaterThan(2);
  });

  it("forgets a Content-Length the body overruns", async () => {
    const reports: FetchProgress[] = [];
    let clock = 0;
    await readWithProgress(
      chunkedResponse([new Uint8Array(8), new Uint8Array(8)], { "content-length": "10" }),
      (r) => reports.push(r),
      () => (clock += 200),
    );
    for (const r of reports) if (r.total !== null) expect(r.loaded).toBeLessThanOrEqual(r.total);
    expect(reports.at(-1)).toEqual({ loaded: 16, total: 16, done: true });
  });
});

describe("announcedTotal", () => {
  it("takes Content-Length only for an uncompressed body", () => {
    expect(announcedTotal(new Headers({ "content-length": "1234" }))).toBe(1234);
    expect(announcedTotal(new Headers({ "content-length": "1234", "content-encoding": "gzip" }))).toBeNull();
    expect(announcedTotal(new Headers({ "content-length": "junk" }))).toBeNull();
    expect(announcedTotal(new Headers())).toBeNull();
  });
});
