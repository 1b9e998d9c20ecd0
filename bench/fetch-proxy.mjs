// A TCP proxy on loopback that counts the bytes each way: how bench/fetch.mjs measures bytes on the wire
// for env-sync (HTTP) and git (git daemon) alike, at the socket, headers and protocol framing included.
import net from 'node:net';

export async function countingProxy(targetPort) {
  const counts = { up: 0, down: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.on('data', (chunk) => {
      counts.up += chunk.length;
    });
    upstream.on('data', (chunk) => {
      counts.down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    take() {
      const taken = { ...counts };
      counts.up = 0;
      counts.down = 0;
      return taken;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
