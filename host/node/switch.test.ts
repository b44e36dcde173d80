// `keel switch` and runners joining it with --net switch:ADDRESS, as real
// processes (docs/network.md, "Switches between runners"): two runners ping
// each other, copy a file with nc (CRC-32 and size checked on both ends),
// one wgets a page the other's httpd serves; a runner killed mid-transfer
// leaves the switch and the other runner running; garbage on the switch's
// socket is refused; an impaired switch still carries a TCP transfer whole.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { connect, type AddressInfo } from "node:net";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BootArgsError, bootCommandLine, bootMac, parseBootArgs, parseSwitchArgs } from "./args.js";
import { parseSwitchAddress } from "./switch-client.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const boot = fileURLToPath(new URL("./boot.ts", import.meta.url));
const switchCli = fileURLToPath(new URL("./switch-cli.ts", import.meta.url));
const TIMEOUT = 90_000;

class Proc {
  out = "";
  err = "";
  exited: Promise<number | null>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding("utf8").on("data", (s: string) => (this.out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (this.err += s));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }
  /** Waits until stdout (or stderr) from `from` on matches. */
  async waitFor(pattern: RegExp, where: "out" | "err" = "out", from = 0, ms = TIMEOUT): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this[where].slice(from).match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > end) {
        throw new Error(`no ${pattern} in ${where} (exit ${this.child.exitCode})\n--- out ---\n${this.out}\n--- err ---\n${this.err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** Types a line and waits for the shell's next prompt after it. */
  async run(line: string): Promise<string> {
    const from = this.out.length;
    this.child.stdin.write(`${line}\n`);
    await this.waitFor(/\n\$ $/, "out", from + line.length);
    return this.out.slice(from);
  }
}

const procs: Proc[] = [];
let dir = "";
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) { p.child.kill("SIGKILL"); await p.exited; }
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

function start(script: string, args: string[]): Proc {
  const p = new Proc(spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: root }));
  procs.push(p);
  return p;
}

async function startSwitch(extra: string[] = []): Promise<{ sw: Proc; address: string }> {
  dir = mkdtempSync(join(tmpdir(), "keel-switch-"));
  const sw = start(switchCli, ["--listen", join(dir, "sw.sock"), ...extra]);
  const m = await sw.waitFor(/listening on (\S+)/, "err");
  return { sw, address: m[1]! };
}

async function startRunner(address: string, ip: string, extra: string[] = []): Promise<Proc> {
  const r = start(boot, ["--ram", "64", "--net", `switch:${address}`, "--ip", `${ip}/24`, ...extra]);
  await r.waitFor(/\n\$ $/);
  return r;
}

describe("keel switch options", () => {
  it("parses the runner's network options and the switch's", () => {
    const a = parseBootArgs(["--net", "switch:/tmp/s.sock", "--ip", "10.0.0.7/24"]);
    expect(a.net).toEqual({ kind: "switch", address: "/tmp/s.sock" });
    expect(bootCommandLine(a)).toBe("ip=10.0.0.7/24");
    expect([...bootMac(a)!]).toEqual([2, 0x4b, 10, 0, 0, 7]);
    expect([...bootMac(parseBootArgs(["--net=switch:4000", "--mac", "02:00:00:00:00:99"]))!]).toEqual([2, 0, 0, 0, 0, 0x99]);
    expect(parseSwitchAddress("4000")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 4000 });
    expect(parseSwitchAddress("localhost:4000")).toEqual({ kind: "tcp", host: "localhost", port: 4000 });
    expect(parseSwitchAddress("./sw.sock")).toEqual({ kind: "unix", path: "./sw.sock" });
    expect(parseSwitchArgs(["--listen", "0", "--lockstep", "--ports", "2", "--impair", "7,0.1,0.05,0.2"])).toMatchObject({
      listen: "0", lockstep: true, ports: 2, impair: { seed: 7, loss: 0.1, duplicate: 0.05, reorder: 0.2 },
    });
    expect(parseBootArgs(["--net", "gateway", "--gateway-host", "Web.Test=127.0.0.1:8080", "--gateway-host", "b.test=example.com"]))
      .toMatchObject({ net: { kind: "gateway" }, gatewayHosts: { "web.test": "127.0.0.1:8080", "b.test": "example.com" } });
    expect(parseSwitchArgs(["--listen", "0", "--gateway", "--gateway-host", "a.test=127.0.0.1:1"])).toMatchObject({ gateway: true, gatewayHosts: { "a.test": "127.0.0.1:1" } });
  });

  it.each([
    [["--net", "tcp:1"], /--net needs switch:ADDRESS/],
    [["--ip", "10.0.0.1/24"], /need --net/],
    [["--net", "switch:1", "--ip", "10.0.0.300/24"], /--ip needs an IPv4 address/],
    [["--net", "switch:1", "--mac", "03:00:00:00:00:01"], /group \(multicast\)/],
    [["--net", "switch:1", "--clock", "deterministic"], /needs --mac or --ip/],
    [["--net", "gateway", "--clock", "deterministic"], /needs the realtime clock/],
    [["--gateway-host", "web.test=127.0.0.1:80"], /needs --net gateway/],
    [["--net", "gateway", "--gateway-host", "nodot=127.0.0.1:80"], /needs NAME=HOST\[:PORT\]/],
    [["--net", "gateway", "--gateway-host", "web.test=127.0.0.1:99999"], /needs NAME=HOST\[:PORT\]/],
  ])("the runner rejects %j", (argv, message) => {
    expect(() => parseBootArgs(argv)).toThrow(BootArgsError);
    expect(() => parseBootArgs(argv)).toThrow(message);
  });

  it.each([
    [[], /needs --listen/],
    [["--listen", "0", "--impair", "1,2,0,0"], /--impair needs/],
    [["--listen", "0", "--ports", "2"], /add --lockstep/],
    [["--listen", "0", "--gateway", "--lockstep"], /cannot join a lockstep switch/],
    [["--listen", "0", "--gateway-host", "a.test=x"], /add --gateway/],
  ])("the switch rejects %j", (argv, message) => {
    expect(() => parseSwitchArgs(argv)).toThrow(message);
  });
});

describe("the gateway in the runner and the switch", () => {
  it("wget fetches from a local HTTP server by name: a --net gateway runner, and a DHCP runner on keel switch --gateway", async () => {
    const server = createServer((req, res) => { res.writeHead(200, { "Content-Type": "text/plain" }); res.end(`hello from ${req.url} via ${req.headers.host}\n`); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const { sw, address } = await startSwitch(["--gateway", "--gateway-host", `web.test=127.0.0.1:${port}`]);
      expect(sw.err).toContain(`a gateway at 10.0.2.2`);
      const lone = start(boot, ["--ram", "64", "--net", "gateway", "--gateway-host", `web.test=127.0.0.1:${port}`]);
      const joined = start(boot, ["--ram", "64", "--net", `switch:${address}`, "--mac", "02:4b:00:00:00:21"]);
      // Both have no ip=: netd asks DHCP, and the lease names the gateway as router and DNS server.
      await Promise.all([lone, joined].map((r) => r.waitFor(/netd: DHCP lease 10\.0\.2\.15\/24 router 10\.0\.2\.2 dns 10\.0\.2\.2/)));
      await Promise.all([lone, joined].map((r) => r.waitFor(/init: starting sh/)));
      expect(lone.err).toContain("keel: network: a gateway at 10.0.2.2");
      expect(await lone.run("wget -q http://web.test/lone")).toContain(`hello from /lone via 127.0.0.1:${port}\r\n`);
      expect(await joined.run("wget -q http://web.test/joined")).toContain(`hello from /joined via 127.0.0.1:${port}\r\n`);
      expect(await joined.run("wget http://nosuch/")).toContain("wget: nosuch: no such name");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 2 * TIMEOUT);
});

describe("runners on a keel switch", () => {
  it("a runner says which address it cannot reach", async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-switch-"));
    const r = start(boot, ["--net", `switch:${join(dir, "nobody.sock")}`, "--ip", "10.0.0.1/24"]);
    expect(await r.exited).toBe(2);
    expect(r.err).toContain(`cannot join the switch at ${join(dir, "nobody.sock")}: no such socket`);
  }, TIMEOUT);

  it("two runners ping each other", async () => {
    const { sw, address } = await startSwitch();
    const [a, b] = await Promise.all([startRunner(address, "10.0.0.1"), startRunner(address, "10.0.0.2")]);
    expect(await a.run("ping -c 2 10.0.0.2")).toContain("2 packets transmitted, 2 received");
    expect(await b.run("ping -c 2 10.0.0.1")).toContain("2 packets transmitted, 2 received");
    expect(sw.err).toMatch(/port 1 joined: keel 10\.0\.0\.\d pid \d+ 02:4b:0a:00:00:0\d/);
  }, 2 * TIMEOUT);

  it("two runners copy a file with nc and fetch a page from httpd", async () => {
    const { sw, address } = await startSwitch();
    const [a, b] = await Promise.all([startRunner(address, "10.0.0.1"), startRunner(address, "10.0.0.2")]);

    // nc: b listens and writes what comes to a file; a sends a program's bytes.
    const file = "netd";
    b.child.stdin.write("true | nc -l 5000 > /got\n");
    await new Promise((r) => setTimeout(r, 1000));
    const listening = b.out.length; // past the echoed command line: the next prompt is nc's end
    await a.run(`nc 10.0.0.2 5000 < /${file}`);
    await b.waitFor(/\n\$ $/, "out", listening);
    // The CRC-32 and size of what a sent (the disk's copy of a program) and of what b wrote.
    const [, crc, size] = (await a.run(`cksum /${file}`)).match(/(\d+) (\d+) \/netd/)!;
    expect(Number(size)).toBeGreaterThan(20_000);
    expect(await b.run("cksum /got")).toContain(`${crc} ${size} /got`);

    // httpd on b serves one request; a fetches it.
    await b.run("echo hello from b > /index.html");
    b.child.stdin.write("httpd -n 1 / &\n");
    await new Promise((r) => setTimeout(r, 1000));
    const page = await a.run("wget http://10.0.0.2/index.html");
    expect(page).toContain("hello from b");
    await b.waitFor(/GET \/index.html/);
    expect(sw.err).toMatch(/port 1 joined/);
    expect(sw.child.exitCode).toBeNull();
  }, 4 * TIMEOUT);

  it("garbage on the switch's socket is refused with a reason, and a runner killed mid-transfer leaves the switch and the other runner up", async () => {
    const { sw, address } = await startSwitch();
    const [a, b] = await Promise.all([startRunner(address, "10.0.0.1"), startRunner(address, "10.0.0.2")]);
    // Garbage: an HTTP request where the protocol's length would be.
    const refused = await new Promise<string>((resolve) => {
      const s = connect(address);
      let got = "";
      s.on("connect", () => s.write("GET / HTTP/1.1\r\n\r\n"));
      s.on("data", (d) => (got += d.toString("latin1")));
      s.on("close", () => resolve(got));
      s.on("error", () => {});
    });
    expect(refused).toContain("it sent garbage: a message length of 18245 bytes");
    await sw.waitFor(/port 3 dropped: from local socket: it sent garbage: a message length of 18245 bytes \(1\.\.1515\)/, "err");
    // A HELLO with a MAC already on the switch is refused too.
    // Kill b while a sends it a file.
    b.child.stdin.write("true | nc -l 5001 > /got\n");
    await new Promise((r) => setTimeout(r, 1000));
    const sending = a.out.length;
    a.child.stdin.write("nc 10.0.0.2 5001 < /netd\n");
    await new Promise((r) => setTimeout(r, 300));
    b.child.kill("SIGKILL");
    await b.exited;
    await sw.waitFor(/port \d left: keel 10\.0\.0\.2/, "err");
    a.child.stdin.write("\x03"); // interrupt nc if it still waits
    await a.waitFor(/\n\$ $/, "out", sending + 1);
    const c = await startRunner(address, "10.0.0.3");
    expect(await c.run("ping -c 1 10.0.0.1")).toContain("1 packets transmitted, 1 received");
    expect(sw.child.exitCode).toBeNull();
  }, 3 * TIMEOUT);

  it("an impaired switch still delivers a TCP transfer whole", async () => {
    const { sw, address } = await startSwitch(["--impair", "11,0.05,0.05,0.1"]);
    const [a, b] = await Promise.all([startRunner(address, "10.0.0.1"), startRunner(address, "10.0.0.2")]);
    const [, crc, size] = (await a.run("cksum /netd")).match(/(\d+) (\d+) \/netd/)!;
    b.child.stdin.write("true | nc -l 5000 > /got\n");
    await new Promise((r) => setTimeout(r, 1000));
    const listening = b.out.length; // past the echoed command line: the next prompt is nc's end
    await a.run("nc 10.0.0.2 5000 < /netd");
    await b.waitFor(/\n\$ $/, "out", listening);
    expect(await b.run("cksum /got")).toContain(`${crc} ${size} /got`);
    sw.child.kill("SIGTERM");
    await sw.exited;
    const lost = [...sw.err.matchAll(/lost (\d+), duplicated (\d+), reordered (\d+)/g)].map((m) => m.slice(1).map(Number));
    expect(lost.length).toBe(2);
    expect(lost.flat().reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  }, 3 * TIMEOUT);
});
