// Compression for snapshots (host/snapshot.ts) and share links (web/share.ts),
// on what Node 20 and browsers share: CompressionStream and
// DecompressionStream. Decompressing takes a limit, so a small input that
// unpacks to gigabytes (a bomb, or a damaged length) is stopped early.

export type CompressionFormat = "gzip" | "deflate-raw";

/** Raised when the output would pass the caller's limit. */
export class OutputLimitError extends Error {}

export function compress(data: Uint8Array, format: CompressionFormat): Promise<Uint8Array> {
  return pipe(data, new CompressionStream(format), Infinity);
}

/** Decompresses `data`; throws OutputLimitError past `limit` output bytes,
 *  and the stream's own error when the data is not in `format`. */
export function decompress(data: Uint8Array, format: CompressionFormat, limit: number): Promise<Uint8Array> {
  return pipe(data, new DecompressionStream(format), limit);
}

async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Errors surface on the reading side; the writer's promises must not go unhandled.
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      throw new OutputLimitError(`the data unpacks to more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, length);
}

export function concatBytes(parts: readonly Uint8Array[], length = parts.reduce((sum, p) => sum + p.length, 0)): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
