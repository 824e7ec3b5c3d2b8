/**
 * Every local server listens on the loopback address only. Resolves with the
 * bound port (the chosen one when `port` is 0); rejects with the listen error
 * (e.g. EADDRINUSE, which local/stack.ts turns into a clear message).
 */
import type { AddressInfo, Server } from 'node:net';

export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
