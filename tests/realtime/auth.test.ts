import type { EntityManager } from "@mikro-orm/postgresql";
import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { AuthSession } from "../../server/src/modules/identity/session.entity";
import { connected, connectSocket, useTestApp } from "../support/harness";
import { buildPerson } from "../support/factories";

describe("socket handshake authentication", () => {
  const app = useTestApp();
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  const open = (auth: Record<string, unknown>) => {
    const socket = connectSocket(app.url, auth);
    sockets.push(socket);
    return socket;
  };

  it("accepts a valid access token", async () => {
    const patient = await buildPerson(app, "patient");
    await expect(connected(open({ token: patient.token }))).resolves.toBeUndefined();
  });

  it("refuses no token, a forged token and a token of a revoked session", async () => {
    await expect(connected(open({}))).rejects.toThrow("UNAUTHENTICATED");
    const doctor = await buildPerson(app, "doctor");
    const [header, payload] = doctor.token.split(".");
    await expect(connected(open({ token: `${header}.${payload}.forged` }))).rejects.toThrow("UNAUTHENTICATED");

    const em = app.runtime.orm.em.fork() as EntityManager;
    await em.nativeUpdate(AuthSession, { user: doctor.user.id }, { revokedAt: new Date() });
    await expect(connected(open({ token: doctor.token }))).rejects.toThrow("UNAUTHENTICATED");
  });

  it("keeps neither the handshake's HTTP request nor the token once a socket is in, over WebSocket or long-polling", async () => {
    const patient = await buildPerson(app, "patient");
    const websocket = open({ token: patient.token });
    // A stock client: long-polling first, then the upgrade.
    const polling = io(app.url, { auth: { token: patient.token }, reconnection: false, forceNew: true });
    sockets.push(polling);
    await Promise.all([connected(websocket), connected(polling)]);
    for (const client of [websocket, polling]) {
      const socket = app.runtime.realtime!.io.of("/").sockets.get(client.id!)!;
      expect(socket.data.principal).toMatchObject({ kind: "user", userId: patient.user.id });
      expect(socket.conn.request).toBeNull();
      expect(socket.handshake.auth).toEqual({});
    }
  });
});
