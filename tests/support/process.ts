import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** `node --import tsx server/src/main.ts`, the way `npm run dev` starts the server. */
export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the URL the banner prints (a worker node's: where it serves its probes). */
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnServer(env: Record<string, string | undefined>): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("server", "src", "main.ts")], {
    env: { NODE_ENV: "test", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, like a command started from a terminal (see pressCtrlC).
    detached: true,
  });
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // An api node's banner says where it listens; a worker node's, where its probes are.
      const match = /(?:Listening|Probes):\s+(http:\/\/[^\s/,]+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`server exited before listening:\n${output}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, url, exited };
}

/**
 * What a terminal's Ctrl-C does under `npm start`: SIGINT to the whole foreground process group
 * (server and any children it spawned), and npm forwarding it once more to the server.
 */
export function pressCtrlC(server: ServerProcess): void {
  process.kill(-server.child.pid!, "SIGINT");
  server.child.kill("SIGINT");
}

/** The environment of this test run minus anything that would point the server elsewhere. */
export function baseEnv(): Record<string, string | undefined> {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  return rest;
}
