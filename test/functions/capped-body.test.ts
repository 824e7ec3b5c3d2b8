/** The one size-capped body reader (functions/shared/capped-body.ts), over web and Node streams. */
import { Readable } from 'node:stream';
import { readCapped } from '../../functions/shared/capped-body';

const web = (parts: string[]): ReadableStream<Uint8Array> =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
const node = (parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)));

describe.each([
  ['web stream', web],
  ['node stream', node],
] as const)('%s', (_name, make) => {
  it('returns every byte up to the cap', async () => {
    expect((await readCapped(make(['ab', 'cd']), 4))?.toString()).toBe('abcd');
  });
  it('refuses one byte over the cap while streaming', async () => {
    expect(await readCapped(make(['ab', 'cde']), 4)).toBeUndefined();
  });
  it('refuses a declared Content-Length over the cap before reading', async () => {
    expect(await readCapped(make(['a']), 4, '5')).toBeUndefined();
  });
});

it('no body is an empty buffer', async () => {
  expect(await readCapped(null, 4)).toEqual(Buffer.alloc(0));
});
