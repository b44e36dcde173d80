// A plain static host for browser tests: a proxy that serves the test
// server's built site with its content type alone (no COOP/COEP, nothing
// else), optionally mounted under a sub-path (404 anywhere else) and with
// extra headers. `requested` logs every path asked for, in order.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface PlainHost {
  /** The site's URL on the proxy, ending in "/". */
  url: string;
  requested: string[];
  close(): Promise<void>;
}

export async function startPlainHost(origin: string, options: { subPath?: string; headers?: Record<string, string> } = {}): Promise<PlainHost> {
  const subPath = options.subPath ?? "/";
  const requested: string[] = [];
  const server = createServer((request, response) => {
    const url = request.url ?? "/";
    requested.push(url);
    if (!url.startsWith(subPath)) {
      response.writeHead(404).end("not under the sub-path");
      return;
    }
    fetch(new URL(url.slice(subPath.length), origin))
      .then(async (upstream) => {
        const type = upstream.headers.get("content-type");
        response.writeHead(upstream.status, { ...(type === null ? {} : { "content-type": type }), ...options.headers });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      })
      .catch((error: unknown) => response.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${subPath}`,
    requested,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
