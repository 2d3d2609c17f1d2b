import { once } from 'node:events';
import net from 'node:net';

/** A loopback TCP proxy in front of `host:port` whose link can be cut and restored, to simulate an outage. */
export interface TcpProxy {
  /** `127.0.0.1:PORT`: connect here instead of the target. */
  readonly address: string;
  /** Destroys every open connection and drops new ones at once, until {@link restore}. */
  cut(): void;
  restore(): void;
  /** Cuts and stops listening. */
  close(): Promise<void>;
}

/** Listens on a free 127.0.0.1 port (the OS picks it: no race with another test) and forwards to `target`. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator);
  const port = Number(target.slice(separator + 1));
  const sockets = new Set<net.Socket>();
  let cutOff = false;

  const server = net.createServer((client) => {
    if (cutOff) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host, port });
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
      });
      socket.pipe(other);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const cut = () => {
    cutOff = true;
    for (const socket of sockets) socket.destroy();
  };
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut,
    restore: () => {
      cutOff = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
