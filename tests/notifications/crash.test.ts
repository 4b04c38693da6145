/**
 * A worker process killed (SIGKILL, no shutdown) while it is in the middle of sending an email: the
 * SMTP server holds the message's DATA unanswered, so the provider never accepted it. After the
 * job's lock lapses (WORKER_LOCK_SECONDS) a new worker process takes the job again, re-checks the
 * row, and the message is accepted exactly once; the row is `sent` once, with two attempts counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEnvironment, startTestApp, type TestApp, type TestEnvironment, waitFor } from "../support/harness";
import { buildPerson } from "../support/factories";
import { baseEnv, spawnServer, type ServerProcess } from "../support/process";
import { leaveNotice, outboxRow, sendNotice, settled, startSmtp, type TestSmtp } from "./support";

describe("a worker killed mid-send", () => {
  let environment: TestEnvironment;
  let api: TestApp;
  let smtp: TestSmtp;
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    environment = await createTestEnvironment();
    api = await startTestApp(environment, { env: { LOG_LEVEL: "error", SMTP_URL: smtp.url, OUTBOX_RELAY_SECONDS: "3600" } });
  });
  afterAll(async () => {
    for (const server of processes) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        process.kill(-server.child.pid!, "SIGKILL");
        await server.exited;
      }
    }
    await api?.close();
    await smtp?.close();
  });

  /** `ROLE=worker` as its own process (and process group); resolves once it says it runs. */
  async function startWorkerProcess(): Promise<ServerProcess> {
    const server = spawnServer({
      ...baseEnv(),
      ROLE: "worker",
      DATABASE_URL: environment.databaseUrl,
      REDIS_URL: environment.redisUrl,
      REDIS_PREFIX: environment.prefix,
      MIGRATE_ON_START: "false",
      DEMO_SEED: "false",
      LOG_LEVEL: "warn",
      SMTP_URL: smtp.url,
      WORKER_LOCK_SECONDS: "2",
      OUTBOX_RELAY_SECONDS: "3600",
    });
    processes.push(server);
    // A worker-only process prints the banner without a URL.
    await waitFor(() => {
      if (server.child.exitCode !== null) throw new Error(`worker exited:\n${server.output()}`);
      return server.output().includes("Clinic Live is running (role worker)") || undefined;
    }, 60_000);
    return server;
  }

  it("delivers the email exactly once after the worker is killed while the SMTP server holds its DATA", { timeout: 150_000 }, async () => {
    const patient = await buildPerson(api, "patient", { email: "crash@example.test" });
    const first = await startWorkerProcess();
    const held = smtp.holdNext();

    const [id] = await sendNotice(api, { userId: patient.user.id, template: "booking.cancelled-by-leave", payload: leaveNotice, channels: ["email"] });
    const mail = await held;
    expect(mail.to).toEqual(["crash@example.test"]);
    // Mid-send: the message reached the server whole, the server has not answered, the row is still queued.
    expect(await outboxRow(api, id!)).toMatchObject({ status: "queued", attempts: 1 });

    process.kill(-first.child.pid!, "SIGKILL");
    expect(await first.exited).toMatchObject({ signal: "SIGKILL" });
    expect(smtp.accepted).toHaveLength(0);

    await startWorkerProcess();
    const row = await settled(api, id!, "sent", 90_000);
    const job = (await api.runtime.queues.get("notifications").getJob(`deliver-${id}`))!;
    await waitFor(async () => ((await job.getState()) === "completed" ? true : undefined), 30_000);

    expect(row).toMatchObject({ status: "sent", attempts: 2, provider_id: `<${id}@clinic-live>` });
    expect(smtp.received.filter((one) => one.to.includes("crash@example.test"))).toHaveLength(2);
    expect(smtp.accepted.filter((one) => one.to.includes("crash@example.test"))).toHaveLength(1);
    expect(smtp.accepted[0]!.subject).toBe("Your appointment was cancelled");
  });
});
