// Process CPU time for benchmarks. Its own module: a suite that imported it
// from run.ts would close an import cycle with run.ts's top-level await, and
// the run would wait on itself for ever.

/** Process CPU seconds (user + system) since `start`. */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
