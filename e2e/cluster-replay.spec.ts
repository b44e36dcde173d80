// A deterministic cluster (docs/share-links.md "Cluster links"): two
// machines in lockstep ping and talk; Share cluster makes a link, and the
// link replays both machines to the same console text.
import { expect, test } from "@playwright/test";
import { openShell } from "./keel";
import { CLUSTER_BOOT_MS, machineLines, shellOn, waitForPromptOn } from "./cluster-helpers";

const POLL = { intervals: [100, 250, 500] };

test("a cluster share link replays both machines to identical consoles", async ({ page, context }) => {
  test.setTimeout(300_000);
  await openShell(page, "?machines=2&clock=deterministic&disk=memory");
  await waitForPromptOn(page, 0);
  await waitForPromptOn(page, 1);
  expect((await page.evaluate(() => window.keel.cluster()))!.lockstep).toBe(true);
  const ping = await shellOn(page, 0, "ping -c 2 10.0.0.2");
  expect(ping.filter((l) => /^64 bytes from 10\.0\.0\.2: icmp_seq=\d/.test(l))).toHaveLength(2);
  expect(await shellOn(page, 1, "ping -c 1 10.0.0.1")).toContainEqual(expect.stringMatching(/^64 bytes from 10\.0\.0\.1/));
  await page.locator("#cluster-share").click();
  await expect.poll(() => page.evaluate(() => window.keel.cluster()!.link ?? window.keel.cluster()!.linkError), { ...POLL, timeout: 30_000 })
    .toMatch(/#cluster=/);
  const link = (await page.evaluate(() => window.keel.cluster()!.link))!;
  const original = [await machineLines(page, 0), await machineLines(page, 1)];

  const replay = await context.newPage();
  await replay.goto(link);
  await replay.waitForFunction(() => window.keel !== undefined);
  await expect.poll(() => replay.evaluate(() => window.keel.cluster()?.machines.map((m) => m.replay?.finished === true)), {
    ...POLL, timeout: CLUSTER_BOOT_MS * 3,
  }).toEqual([true, true]);
  for (const i of [0, 1]) {
    await expect.poll(() => machineLines(replay, i), { ...POLL, timeout: CLUSTER_BOOT_MS }).toEqual(original[i]);
    expect((await replay.evaluate((n) => window.keel.cluster()!.machines[n]!.replay!.diverged, i))).toBeNull();
  }
});
