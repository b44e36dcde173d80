// The cluster view (docs/network.md "The cluster view"): machines in one
// page, each in its own worker, on the page's virtual switch; tabs joined
// by a BroadcastChannel (`?switch=`). Every console is read from its
// terminal's buffer (term.buffer.active).
import { expect, test } from "@playwright/test";
import { openShell } from "./keel";
import { machineLines, shellOn, typeOn, waitForPromptOn } from "./cluster-helpers";

const POLL = { intervals: [50, 100, 250, 500] };

test("two machines in one page ping each other and nc a line and a file across", async ({ page }) => {
  test.setTimeout(240_000);
  await openShell(page, "?machines=2&disk=memory");
  const cluster = await page.evaluate(() => window.keel.cluster());
  expect(cluster?.machines.map((m) => [m.name, m.ip, m.mac])).toEqual([
    ["keel-1", "10.0.0.1/24", "02:00:00:00:01:01"], ["keel-2", "10.0.0.2/24", "02:00:00:00:01:02"],
  ]);
  await waitForPromptOn(page, 0);
  await waitForPromptOn(page, 1);

  const ping = await shellOn(page, 0, "ping -c 2 10.0.0.2");
  expect(ping.filter((l) => /^64 bytes from 10\.0\.0\.2: icmp_seq=\d/.test(l))).toHaveLength(2);
  const back = await shellOn(page, 1, "ping -c 1 10.0.0.1");
  expect(back.some((l) => /^64 bytes from 10\.0\.0\.1: icmp_seq=1/.test(l))).toBe(true);

  // A line: the listener on keel-2 prints what keel-1 sends.
  const before = (await machineLines(page, 1)).length;
  await typeOn(page, 1, "echo pong | nc -l 5000");
  await expect.poll(async () => (await page.evaluate(() => window.keel.cluster()!.machines[1]!.state)), POLL).toBeTruthy();
  // Give the listener a moment to bind before connecting (a refused connect is retried below).
  let out: string[] = [];
  for (let tries = 0; tries < 5; tries++) {
    out = await shellOn(page, 0, "echo hello from keel-1 | nc 10.0.0.2 5000");
    if (out.includes("pong")) break;
  }
  expect(out).toContain("pong");
  const listener = await waitForPromptOn(page, 1, before);
  expect(listener).toContain("hello from keel-1");

  // A file: README goes across and arrives whole.
  const before2 = (await machineLines(page, 1)).length;
  await typeOn(page, 1, "echo | nc -l 5001 > copy.txt");
  for (let tries = 0; tries < 5; tries++) {
    out = await shellOn(page, 0, "nc 10.0.0.2 5001 < README");
    if (!out.some((l) => l.includes("refused"))) break;
  }
  await waitForPromptOn(page, 1, before2);
  const original = await shellOn(page, 0, "wc README");
  const copy = await shellOn(page, 1, "wc copy.txt");
  expect(copy[0]?.replace("copy.txt", "README")).toBe(original[0]);
  const stats = await page.evaluate(() => window.keel.cluster()!.relay);
  expect(stats[0]!.fromPort).toBeGreaterThan(0);
  expect(stats[1]!.fromPort).toBeGreaterThan(0);
});

test("a bad machine count gets a clear message and one machine boots", async ({ page }) => {
  await openShell(page, "?machines=9&disk=memory");
  await expect(page.locator("#param-error-list li[data-param=machines]")).toHaveText(
    'machines="9" must be a whole number from 1 to 4; using the default, 1 (one machine).',
  );
  expect(await page.evaluate(() => window.keel.cluster())).toBeNull();
  await waitForPromptOn(page, 0);
});

test("two tabs on one BroadcastChannel switch ping each other, and one closing leaves the other running", async ({ context }) => {
  test.setTimeout(240_000);
  const first = await context.newPage();
  await openShell(first, "?switch=e2e-tabs&disk=memory");
  const second = await context.newPage();
  await openShell(second, "?switch=e2e-tabs&disk=memory");
  await waitForPromptOn(first, 0);
  await waitForPromptOn(second, 0);
  const names = [await first.evaluate(() => window.keel.cluster()!.machines[0]!.ip), await second.evaluate(() => window.keel.cluster()!.machines[0]!.ip)];
  expect(names).toEqual(["10.0.0.1/24", "10.0.0.2/24"]);
  const ping = await shellOn(second, 0, "ping -c 2 10.0.0.1");
  expect(ping.filter((l) => /^64 bytes from 10\.0\.0\.1: icmp_seq=\d/.test(l))).toHaveLength(2);
  expect((await second.evaluate(() => window.keel.cluster()!.channel))!.received).toBeGreaterThan(0);
  await second.close();
  const alone = await shellOn(first, 0, "ping -c 1 -W 20 10.0.0.2");
  expect(alone.some((l) => l.startsWith("64 bytes"))).toBe(false);
  expect(await shellOn(first, 0, "echo still here")).toContain("still here");
});
