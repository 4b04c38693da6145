/** Process entry: ROLE=api | worker | all (default all). */
import pino, { type Logger } from "pino";
import { ConfigError, loadConfig, type Config } from "./config";
import { RedisServerMissingError, ensureServices, type Services } from "./platform/embedded";
import { createClinicRuntime } from "./app";
import type { Runtime } from "./platform/runtime";
import { DEMO_PASSWORD, demoAccounts } from "./seed/demo";

function fail(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

function banner(config: Config, url: string | undefined): string {
  const lines = [`Clinic Live is running (role ${config.role}).`];
  // A worker node serves only its probes.
  const servesApi = config.role !== "worker";
  if (url && !servesApi) lines.push(`  Probes:    ${url}/api/v1/health, ${url}/api/v1/ready`);
  if (url && servesApi) {
    lines.push(`  Listening: ${url}`, `  API docs:  ${url}/docs`, `  Ready:     ${url}/api/v1/ready`);
    if (config.http.publicUrl) lines.push(`  Public:    ${config.http.publicUrl}`);
    if (config.notifications.devMailbox) lines.push(`  Mailbox:   ${url}/dev/mailbox (no SMTP_URL: email is caught here)`);
  }
  if (config.demoSeed && url && servesApi) {
    lines.push("", `Demo logins (password ${DEMO_PASSWORD}):`);
    for (const account of demoAccounts.slice(0, 6)) lines.push(`  ${account.email.padEnd(26)} ${account.role}`);
    lines.push(`  patient1@demo.clinic … patient20@demo.clinic  patient`);
  }
  lines.push("", "Press Ctrl-C to stop.");
  return lines.join("\n");
}

/** The most of the shutdown's time kept for stopping the embedded PostgreSQL and Redis. */
const EMBEDDED_STOP_MS = 3_000;

/**
 * One deadline, SHUTDOWN_TIMEOUT_SECONDS from now, for everything: the runtime's steps, then the
 * embedded PostgreSQL and Redis, which stop last and are kept their share of it.
 */
async function shutDown(runtime: Runtime | undefined, services: Services, config: Config, log: Logger): Promise<void> {
  const deadline = Date.now() + config.shutdownTimeoutMs;
  // Connections now close under work still waiting on them: a command a library sent without
  // handling its failure (the Socket.IO Redis adapter's unsubscribe, when Redis does not answer)
  // must not crash the process before it has stopped what it started.
  process.on("unhandledRejection", (reason) => log.warn({ err: reason }, "shutdown: work left on a closed connection failed"));
  const servicesShareMs = services.isEmbedded ? Math.min(EMBEDDED_STOP_MS, config.shutdownTimeoutMs / 4) : 0;
  await runtime?.close({ by: deadline - servicesShareMs });
  await services.stopAll({ by: deadline });
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const log = pino({ level: config.logLevel, base: { role: config.role } });

  let services: Services;
  try {
    services = await ensureServices(config, log);
  } catch (error) {
    if (error instanceof RedisServerMissingError) fail(error.message);
    throw error;
  }

  let runtime: Runtime | undefined;
  let stoppingSince: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C under `npm start` arrives twice at once (from the terminal and forwarded by npm):
      // only a later, deliberate second signal cuts the drain short.
      if (Date.now() - stoppingSince < 1_000) return;
      log.warn("second %s: exiting at once", signal);
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info("%s received: shutting down", signal);
    await shutDown(runtime, services, config, log);
    log.info("shutdown complete");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  try {
    runtime = await createClinicRuntime({ config, log, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl });
    const url = await runtime.start();
    process.stdout.write(`\n${banner(config, url)}\n\n`);
  } catch (error) {
    log.fatal({ err: error }, "start-up failed");
    await shutDown(runtime, services, config, log);
    process.exit(1);
  }
}

void main();
