/**
 * The queue dashboard at /admin/queues: a platform admin opens a cookie session with their bearer
 * token; the page and its JSON API need that cookie (401 without, 403 for anyone else's), and the API
 * lists every queue of the runtime.
 */
import { describe, expect, it } from "vitest";
import { queueNames } from "../../server/src/platform/queues";
import { QUEUE_BOARD_COOKIE } from "../../server/src/platform/queue-board";
import { useApp } from "../support/harness";
import { buildPerson } from "../support/factories";
import { signAccessToken } from "../../server/src/modules/identity/tokens";

describe("queue dashboard", () => {
  const api = useApp();

  const openSession = (headers: Record<string, string>) => fetch(`${api.url}/api/v1/admin/queues/session`, { method: "POST", headers });
  const board = (path: string, cookie?: string) => fetch(`${api.url}/admin/queues${path}`, { headers: cookie ? { cookie } : {} });
  const cookieOf = (response: Response) => response.headers.get("set-cookie")!.split(";")[0]!;

  it("refuses the board without a session cookie, and with a forged or access-token cookie", async () => {
    const admin = await buildPerson(api, "platform_admin");
    for (const path of ["", "/api/queues"]) {
      const response = await board(path);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    // An access token is not a board token: another key signs those.
    expect((await board("/api/queues", `${QUEUE_BOARD_COOKIE}=${admin.token}`)).status).toBe(401);
    expect((await board("/api/queues", `${QUEUE_BOARD_COOKIE}=x.y.z`)).status).toBe(401);
  });

  it("gives a session only to platform admins", async () => {
    expect((await openSession({})).status).toBe(401);
    for (const role of ["patient", "clinic_admin", "doctor"] as const) {
      const person = await buildPerson(api, role);
      const response = await openSession(person.headers);
      expect(response.status).toBe(403);
      expect(response.headers.get("set-cookie")).toBeNull();
    }
  });

  it("a platform admin's cookie opens the page and its API lists every queue; read-only; logout ends it", async () => {
    const admin = await buildPerson(api, "platform_admin");
    const session = await openSession(admin.headers);
    expect(session.status).toBe(204);
    const setCookie = session.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin\/queues/);
    expect(setCookie).toMatch(/Max-Age=\d+/);
    const cookie = cookieOf(session);

    const page = await board("", cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("Clinic Live queues");
    // Its script assets load under the same cookie, and only with it.
    const script = /src="(static\/js\/main[^"]+)"/.exec(html)![1]!;
    expect((await board(`/${script}`, cookie)).status).toBe(200);
    expect((await board(`/${script}`)).status).toBe(401);

    const listed = await board("/api/queues", cookie);
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual([...queueNames].sort());
    expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);

    const pause = await fetch(`${api.url}/admin/queues/api/queues/booking/pause`, { method: "PUT", headers: { cookie } });
    expect(pause.status).toBe(405);
    expect(await api.runtime.queues.get("booking").isPaused()).toBe(false);

    // The cookie names the session: logging out closes the board too.
    expect((await fetch(`${api.url}/api/v1/auth/logout`, { method: "POST", headers: admin.headers })).status).toBe(204);
    expect((await board("/api/queues", cookie)).status).toBe(401);
  });

  it("a board token of someone who is not a platform admin is refused with 403", async () => {
    const patient = await buildPerson(api, "patient");
    const { sid } = JSON.parse(Buffer.from(patient.token.split(".")[1]!, "base64url").toString()) as { sid: string };
    // As if they had been an admin when the session was opened (the role is re-read on every request).
    const forged = signAccessToken(`${api.runtime.config.auth.jwtSecret}:queue-board`, { sub: patient.user.id, sid, role: "platform_admin" });
    expect((await board("/api/queues", `${QUEUE_BOARD_COOKIE}=${forged}`)).status).toBe(403);
  });
});
