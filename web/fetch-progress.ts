// Fetching the kernel, the boot file system and the disk image with their
// progress: the body is read as a stream and every chunk is counted, so a
// slow link shows bytes arriving instead of black boxes (web/loading.ts
// draws what the worker reports). The total comes from Content-Length when
// the response is not compressed on the way (a compressed body's length is
// not the length of what is read); otherwise it is unknown until the end.

export interface FetchProgress {
  loaded: number;
  /** null while unknown. */
  total: number | null;
  done: boolean;
}

/** Reports at most this often while bytes arrive (and always at the end). */
export const PROGRESS_INTERVAL_MS = 100;

/** The total a response announces for what its body stream yields, or null. */
export function announcedTotal(headers: Headers): number | null {
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding !== "" && encoding !== "identity") return null;
  const length = Number(headers.get("content-length"));
  return Number.isSafeInteger(length) && length > 0 ? length : null;
}

/** Reads `response`'s body into one array, calling `progress` as it comes. */
export async function readWithProgress(
  response: Response,
  progress: (report: FetchProgress) => void,
  now: () => number = () => performance.now(),
): Promise<Uint8Array<ArrayBuffer>> {
  let total = announcedTotal(response.headers);
  progress({ loaded: 0, total, done: false });
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    progress({ loaded: bytes.length, total: bytes.length, done: true });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let last = now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    // A server that sent a wrong length: the count is what arrived.
    if (total !== null && loaded > total) total = null;
    if (now() - last >= PROGRESS_INTERVAL_MS) {
      last = now();
      progress({ loaded, total, done: false });
    }
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  progress({ loaded, total: loaded, done: true });
  return bytes;
}
