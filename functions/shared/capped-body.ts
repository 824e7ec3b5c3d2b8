/**
 * Read a body into memory with a size cap, refusing early when the declared
 * Content-Length is already too large and stopping as soon as the running
 * total passes the cap. One reader for every body the project buffers: the
 * claims proxy's backend responses (fetch) and the local stack's request
 * bodies (node:http).
 */

/** A fetch body (web stream) or anything async-iterable over bytes (a Node stream). */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * The bytes of `source`, or `undefined` when they are more than `maxBytes`.
 * Stopping early cancels a fetch body / destroys a Node stream (pass
 * `req.iterator({ destroyOnReturn: false })` to keep a socket usable for an
 * error answer).
 */
export async function readCapped(source: ByteSource | null | undefined, maxBytes: number, declaredLength?: string | null): Promise<Buffer | undefined> {
  const declared = Number(declaredLength ?? '0');
  const web = source !== null && source !== undefined && 'getReader' in source ? source : undefined;
  if (Number.isFinite(declared) && declared > maxBytes) {
    await web?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!source) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const add = (chunk: Uint8Array): boolean => {
    total += chunk.byteLength;
    if (total > maxBytes) return false;
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return true;
  };
  if (web) {
    const reader = web.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!add(value)) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
    }
  } else {
    for await (const chunk of source as AsyncIterable<Uint8Array>) if (!add(chunk)) return undefined;
  }
  return Buffer.concat(chunks, total);
}
