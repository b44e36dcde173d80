// How the status bar writes numbers: uptime, counts, RAM sizes. Pure
// functions, unit-tested in web/format.test.ts.

const NS_PER_SECOND = 1e9;
const MIB = 1024 * 1024;
const SI_SUFFIXES = ["", " k", " M", " G", " T", " P"];

/** "4.2 s" under a minute, then "m:ss", then "h:mm:ss". */
export function formatUptime(ns: number): string {
  const totalSeconds = Math.max(0, ns) / NS_PER_SECOND;
  if (totalSeconds < 60) return `${(Math.floor(totalSeconds * 10) / 10).toFixed(1)} s`;
  const whole = Math.floor(totalSeconds);
  const seconds = String(whole % 60).padStart(2, "0");
  const minutes = Math.floor(whole / 60) % 60;
  const hours = Math.floor(whole / 3600);
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** A count with three significant digits and an SI suffix: "950", "1.23 k", "45.6 M". */
export function formatCount(n: number): string {
  let value = Math.max(0, Math.round(n));
  let unit = 0;
  while (value >= 999.5 && unit < SI_SUFFIXES.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return String(value);
  const digits = value < 9.995 ? 2 : value < 99.95 ? 1 : 0;
  return `${value.toFixed(digits)}${SI_SUFFIXES[unit]}`;
}

/** RAM in MiB, or in GiB when it is a whole number of them. */
export function formatRam(bytes: number): string {
  const mib = bytes / MIB;
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** The status bar's JIT figure: "off", or the units compiled and the share
 *  of user instructions retired in them (rounded down: 100 % means every one). */
export function formatJit(jit: { units: number; insns: number; retired: number } | undefined): string {
  if (jit === undefined) return "off";
  const share = jit.retired > 0 ? Math.floor((jit.insns / jit.retired) * 100) : 0;
  return `${formatCount(jit.units)} units, ${share}% of instructions`;
}
