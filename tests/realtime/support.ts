/**
 * TCP stand-ins for the network between the parts, for the realtime fault tests: a load balancer in
 * front of api nodes, and a Redis link that can hold or cut one kind of connection.
 */
import net from "node:net";

interface Forwarder {
  url: string;
  close(): Promise<void>;
}

async function listenOn(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

function closeServer(server: net.Server, open: Set<net.Socket>): Promise<void> {
  for (const socket of open) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Joins two sockets both ways; either end closing closes the other. */
function splice(client: net.Socket, upstream: net.Socket): void {
  client.pipe(upstream).pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end).on("close", end);
  upstream.on("error", end).on("close", end);
}

/** Sends each new connection to the first of `ports` that accepts it, as a load balancer with health checks would. */
export async function loadBalancer(ports: number[]): Promise<Forwarder> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client.on("close", () => open.delete(client)));
    client.pause();
    const attempt = (index: number) => {
      if (index >= ports.length) return void client.destroy();
      const upstream = net.connect(ports[index]!, "127.0.0.1");
      upstream.once("error", () => attempt(index + 1));
      upstream.once("connect", () => {
        upstream.removeAllListeners("error");
        open.add(upstream.on("close", () => open.delete(upstream)));
        splice(client, upstream);
        client.resume();
      });
    };
    attempt(0);
  });
  const port = await listenOn(server);
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server, open) };
}

export interface RedisLink extends Forwarder {
  /** While set, a new connection that names itself with `name` (CLIENT SETNAME) waits unanswered; `null` lets them through. */
  hold(name: string | null): void;
  /** Breaks the open connections named `name`, as a network fault would. */
  cut(name: string): void;
}

/** A link to the Redis at `redisUrl` that can hold back or cut the connections of one name (ioredis's `connectionName`). */
export async function redisLink(redisUrl: string): Promise<RedisLink> {
  const target = new URL(redisUrl);
  const open = new Set<net.Socket>();
  const named = new Map<net.Socket, string>();
  const waiting: { client: net.Socket; first: Buffer; name: string }[] = [];
  let held: string | null = null;

  function forward(client: net.Socket, first: Buffer): void {
    const upstream = net.connect(Number(target.port), target.hostname);
    open.add(upstream.on("close", () => open.delete(upstream)));
    upstream.write(first);
    splice(client, upstream);
  }

  const server = net.createServer((client) => {
    open.add(client.on("close", () => open.delete(client)));
    client.on("error", () => client.destroy());
    // ioredis names the connection in its first command.
    client.once("data", (first: Buffer) => {
      const name = /clinic-live:[\w-]+/.exec(first.toString("latin1"))?.[0] ?? "";
      named.set(client, name);
      client.on("close", () => named.delete(client));
      if (held !== null && name === held) {
        client.pause();
        waiting.push({ client, first, name });
        return;
      }
      forward(client, first);
    });
  });
  const port = await listenOn(server);
  return {
    url: `redis://127.0.0.1:${port}`,
    hold(name) {
      held = name === null ? null : `clinic-live:${name}`;
      for (const entry of waiting.splice(0)) {
        if (entry.client.destroyed) continue;
        if (held === entry.name) waiting.push(entry);
        else {
          forward(entry.client, entry.first);
          entry.client.resume();
        }
      }
    },
    cut(name) {
      for (const [client, clientName] of named) if (clientName === `clinic-live:${name}`) client.destroy();
    },
    close: () => closeServer(server, open),
  };
}
