// TCP and sockets between two Keel machines in one Node process on the
// virtual switch (docs/network.md "Sockets"): nc in both directions, a
// sandboxed process refused a socket, bad socket calls answered with a
// reason.

import { describe, expect, it } from "vitest";
import { bootPair, runBoth, shellBoth } from "./testing/net-pair.js";

describe("TCP between two machines", () => {
  it("nc: a line goes from a client to a listener and another comes back; netstat shows the connection go", () => {
    const { sw, a, b } = bootPair();
    b.machine.input("echo pong from b | nc -l 5000\r");
    runBoth(a, b, sw, () => true);
    const out = shellBoth(a, b, sw, "echo ping from a | nc 10.0.0.2 5000");
    runBoth(a, b, sw, () => /\n\$ $/.test(b.output));
    expect(out).toContain("pong from b\n");
    expect(b.output).toContain("nc: connection from 10.0.0.1:49152\nping from a\n");
    // The side that closed first waits in TIME_WAIT; the other has nothing left.
    const states = shellBoth(a, b, sw, "netstat") + shellBoth(b, a, sw, "netstat");
    expect(states).toMatch(/tcp +10\.0\.0\.1:49152 +10\.0\.0\.2:5000 +TIME_WAIT/);
    expect(shellBoth(b, a, sw, "netstat")).not.toContain("ESTABLISHED");
  });

  it("httpd serves a file from the file system and wget on the other machine fetches it", () => {
    const { sw, a, b } = bootPair();
    b.machine.input("httpd -n 3 &\r");
    runBoth(a, b, sw, () => b.output.includes("httpd: serving / on port 80"));
    const got = shellBoth(a, b, sw, "wget http://10.0.0.2/README | cksum");
    const readme = shellBoth(b, a, sw, "cksum README");
    const [crc, bytes] = readme.split("\n")[1]!.split(" ");
    expect(got).toContain("wget: 200 OK");
    expect(got).toContain(`wget: ${bytes} bytes`);
    expect(got).toContain(`${crc} ${bytes}\n`);
    expect(shellBoth(a, b, sw, "wget http://10.0.0.2/nothing-here")).toContain("wget: 404 Not Found");
    expect(shellBoth(a, b, sw, "wget -q http://10.0.0.2/")).toContain("Index of /\n");
    expect(b.output).toContain("httpd: 10.0.0.1 GET /README 200 " + bytes);
    expect(b.output).toContain("httpd: 10.0.0.1 GET /nothing-here 404");
    expect(shellBoth(b, a, sw, "true")).toContain("Done  httpd -n 3");
    expect(shellBoth(a, b, sw, "wget http://10.0.0.2/README")).toContain("wget: connect to 10.0.0.2:80: connection refused");
  });

  it("a sandboxed process cannot open a socket; the shell's can", () => {
    const { sw, a, b } = bootPair();
    expect(shellBoth(a, b, sw, "sandbox nc 10.0.0.2 80")).toContain("nc: socket: this process holds no capability to the network service");
    expect(shellBoth(a, b, sw, "sandbox wget http://10.0.0.2/")).toContain("wget: socket: this process holds no capability to the network service");
    expect(shellBoth(a, b, sw, "nc 10.0.0.2 80")).toContain("nc: connect: connection refused");
  });

  it("bad socket calls get an error with a reason, and netd goes on serving", () => {
    const { sw, a, b } = bootPair();
    b.machine.input("nc -l 6000 > /dev/null &\r");
    b.machine.input("nc -l 6000 &\r");
    runBoth(a, b, sw, () => true);
    const out = shellBoth(a, b, sw, "socktest 10.0.0.2 6000");
    expect(out).not.toContain("FAIL");
    expect(out).toContain("ok   connect to a port nobody listens on: connection refused");
    expect(out).toContain("ok   a send ring index past the ring: impossible ring indices in the shared memory");
    expect(out).toContain("ok   more sockets than netd holds: no room");
    expect(out).toContain("socktest: 0 failed");
    // netd still answers, on both machines.
    expect(shellBoth(a, b, sw, "ping -c 1 10.0.0.2")).toContain("1 received");
    expect(shellBoth(a, b, sw, "netstat")).not.toMatch(/ESTABLISHED|SYN_/);
  });
});
