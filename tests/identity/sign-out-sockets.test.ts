/**
 * Sockets follow sign-out (docs/realtime.md "Sign-out"): whatever ends a session — logout,
 * logout-all, a password change or reset, revoking it from another device, deactivating the account
 * — closes its sockets on every node within a second of the reply, and its still-unexpired access
 * token neither reconnects nor subscribes. Two api nodes; replies are not held for the outbox
 * (`settleEvents: false`), as in production.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { loginResponseSchema, sessionListSchema, type SubscribeAck } from "@clinic/shared";
import { buildPerson, TEST_PASSWORD, type TestPerson } from "../support/factories";
import { call } from "../support/api";
import { latestCode, query } from "../support/db";
import { connected, connectSocket, createTestEnvironment, readJson, startTestApp, subscribe, waitFor, type TestApp } from "../support/harness";
import { bearer, clientOf, PASSWORD, signedInUser, type Client } from "./support";

/** The bound the issue sets for sockets to close after the revoking reply. */
const CLOSED_WITHIN_MS = 1_000;
const NEW_PASSWORD = "an entirely new passphrase";

describe("sockets follow sign-out, on every node", () => {
  let nodeA: TestApp;
  let nodeB: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const environment = await createTestEnvironment();
    const options = { settleEvents: false, env: { RATE_LIMIT_MAX: "100000" } };
    [nodeA, nodeB] = await Promise.all([startTestApp(environment, options), startTestApp(environment, options)]);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(() => Promise.all([nodeA?.close(), nodeB?.close()]));

  /** A socket of `token` on `node`, connected and subscribed to `me`; `closedAt` is set when the server ends it. */
  async function watching(node: TestApp, token: string) {
    const socket = connectSocket(node.url, { token });
    sockets.push(socket);
    const watcher = { socket, closedAt: 0, reason: "" };
    socket.on("disconnect", (reason) => Object.assign(watcher, { closedAt: Date.now(), reason }));
    await connected(socket);
    expect(await subscribe(socket, "me")).toMatchObject({ ok: true });
    return watcher;
  }

  /** One socket per token on each node. */
  const onBothNodes = (...tokens: string[]) => Promise.all(tokens.flatMap((token) => [watching(nodeA, token), watching(nodeB, token)]));

  /** Every watcher is closed by the server within the bound of `repliedAt`; the token can neither reconnect nor subscribe. */
  async function expectClosed(watchers: Awaited<ReturnType<typeof watching>>[], repliedAt: number, tokens: string[]) {
    await waitFor(() => watchers.every((watcher) => watcher.closedAt > 0), CLOSED_WITHIN_MS + 500);
    for (const watcher of watchers) {
      expect(watcher.reason).toBe("io server disconnect");
      expect(watcher.closedAt - repliedAt).toBeLessThanOrEqual(CLOSED_WITHIN_MS);
    }
    for (const token of tokens) {
      for (const node of [nodeA, nodeB]) {
        const again = connectSocket(node.url, { token });
        sockets.push(again);
        await expect(connected(again)).rejects.toThrow("UNAUTHENTICATED");
      }
    }
  }

  /** Still connected a moment after the others closed, and still subscribing. */
  async function expectOpen(watchers: Awaited<ReturnType<typeof watching>>[]) {
    for (const watcher of watchers) {
      expect(watcher.socket.connected).toBe(true);
      expect(await subscribe(watcher.socket, "me")).toMatchObject({ ok: true });
    }
  }

  /** A second session of the same account, signed in through the login route. */
  async function secondSession(client: Client, login: { email: string }, password = PASSWORD) {
    return readJson(await client.post("/auth/login", { ...login, password }), loginResponseSchema);
  }

  it("logout closes that session's sockets", async () => {
    const client = clientOf(nodeA);
    const user = await signedInUser(nodeA, client);
    const watchers = await onBothNodes(user.accessToken);
    const reply = await client.post("/auth/logout", undefined, bearer(user.accessToken));
    expect(reply.status).toBe(204);
    await expectClosed(watchers, Date.now(), [user.accessToken]);
  });

  it("logout-all closes the sockets of every session", async () => {
    const client = clientOf(nodeB);
    const user = await signedInUser(nodeB, client);
    const other = await secondSession(client, user.login);
    const watchers = await onBothNodes(user.accessToken, other.accessToken);
    expect((await client.post("/auth/logout-all", undefined, bearer(user.accessToken))).status).toBe(204);
    await expectClosed(watchers, Date.now(), [user.accessToken, other.accessToken]);
  });

  it("a password change closes the other sessions' sockets and keeps the changing one's", async () => {
    const client = clientOf(nodeA);
    const user = await signedInUser(nodeA, client);
    const other = await secondSession(client, user.login);
    const [kept, ended] = [await onBothNodes(user.accessToken), await onBothNodes(other.accessToken)];
    const reply = await client.post("/auth/password/change", { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, bearer(user.accessToken));
    expect(reply.status).toBe(204);
    await expectClosed(ended, Date.now(), [other.accessToken]);
    await expectOpen(kept);
  });

  it("a password reset closes the sockets of every session", async () => {
    const client = clientOf(nodeB);
    const user = await signedInUser(nodeB, client);
    const other = await secondSession(client, user.login);
    const watchers = await onBothNodes(user.accessToken, other.accessToken);
    expect((await client.post("/auth/password/forgot", user.login)).status).toBe(202);
    const code = await latestCode(nodeB, user.login.email, "identity.reset-code");
    expect((await client.post("/auth/password/reset", { ...user.login, code, newPassword: NEW_PASSWORD })).status).toBe(204);
    await expectClosed(watchers, Date.now(), [user.accessToken, other.accessToken]);
  });

  it("revoking a session from another device closes its sockets and keeps the revoking one's", async () => {
    const client = clientOf(nodeA);
    const user = await signedInUser(nodeA, client);
    const other = await secondSession(client, user.login);
    const [kept, ended] = [await onBothNodes(user.accessToken), await onBothNodes(other.accessToken)];
    const sessions = await readJson(await client.get("/auth/sessions", bearer(user.accessToken)), sessionListSchema);
    const otherId = sessions.items.find((session) => !session.current)!.id;
    expect((await client.del(`/auth/sessions/${otherId}`, bearer(user.accessToken))).status).toBe(204);
    await expectClosed(ended, Date.now(), [other.accessToken]);
    await expectOpen(kept);
  });

  it("deactivating the account closes the sockets of every session", async () => {
    const admin = await buildPerson(nodeA, "platform_admin");
    const patient: TestPerson = await buildPerson(nodeA, "patient");
    const client = clientOf(nodeA);
    const other = await secondSession(client, { email: patient.user.email! }, TEST_PASSWORD);
    const watchers = await onBothNodes(patient.token, other.accessToken);
    expect((await call(nodeB, admin, "POST", `/users/${patient.user.id}/deactivate`)).status).toBe(200);
    await expectClosed(watchers, Date.now(), [patient.token, other.accessToken]);
  });

  it("refuses a subscribe with a revoked session's unexpired token, and closes that socket", async () => {
    const patient = await buildPerson(nodeA, "patient");
    const watcher = await watching(nodeB, patient.token);
    // Revoked behind the gateway's back (no event, so nothing closes the socket): the subscribe must look.
    await query(nodeA, `update auth_session set revoked_at = now(), revoked_reason = 'revoked' where user_id = ?`, [patient.user.id]);
    const ack = (await subscribe(watcher.socket, `slots:${patient.user.id}`)) as SubscribeAck;
    expect(ack).toMatchObject({ ok: false, code: "UNAUTHENTICATED" });
    await waitFor(() => watcher.closedAt > 0);
    expect(watcher.reason).toBe("io server disconnect");
  });

  it("does not let a socket leave its session's room, so a logout still closes it", async () => {
    const client = clientOf(nodeB);
    const user = await signedInUser(nodeB, client);
    const watcher = await watching(nodeA, user.accessToken);
    const sessionId = (JSON.parse(Buffer.from(user.accessToken.split(".")[1]!, "base64url").toString()) as { sid: string }).sid;
    expect(await watcher.socket.timeout(5_000).emitWithAck("unsubscribe", { topic: `session:${sessionId}` })).toEqual({ ok: false });
    expect(await subscribe(watcher.socket, `session:${sessionId}`)).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    expect((await client.post("/auth/logout", undefined, bearer(user.accessToken))).status).toBe(204);
    await expectClosed([watcher], Date.now(), [user.accessToken]);
  });
});

describe("topics have one spelling", () => {
  let node: TestApp;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    node = await startTestApp(await createTestEnvironment());
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await node?.close();
  });

  it("refuses an upper-case id (it would join a room nobody publishes to) and accepts the canonical one", async () => {
    const doctor = await buildPerson(node, "doctor");
    const patient = await buildPerson(node, "patient");
    const socket = connectSocket(node.url, { token: patient.token });
    sockets.push(socket);
    await connected(socket);
    for (const topic of [`slots:${doctor.doctorId!.toUpperCase()}`, `SLOTS:${doctor.doctorId}`, `slots:{${doctor.doctorId}}`, ` slots:${doctor.doctorId}`, "ME"]) {
      expect(await subscribe(socket, topic)).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
    }
    expect(await subscribe(socket, `slots:${doctor.doctorId}`)).toMatchObject({ ok: true, topic: `slots:${doctor.doctorId}` });
    expect(await subscribe(socket, `me:${patient.user.id}`)).toMatchObject({ ok: true });
    expect(await subscribe(socket, `me:${patient.user.id.toUpperCase()}`)).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC" });
  });
});
