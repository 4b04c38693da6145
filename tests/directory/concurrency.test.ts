/**
 * Races on directory writes: the database's unique constraints decide, and the loser gets a 409
 * (or, for idempotent PUTs, the same answer as the winner), never a 500 or a second row.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { problemSchema } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";
import { count } from "../support/db";

const ROUNDS = 5;

describe("directory write races", () => {
  const app = useApp();
  let clinicId: string;
  let admins: [TestPerson, TestPerson];

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admins = [
      await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] }),
      await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] }),
    ];
  });

  const post = (person: TestPerson, path: string, body: unknown) =>
    fetch(`${app.url}/api/v1${path}`, {
      method: "POST",
      headers: { ...person.headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  async function race(requests: [Promise<Response>, Promise<Response>]) {
    const responses = await Promise.all(requests);
    const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, body: await response.json() })));
    return bodies.sort((a, b) => a.status - b.status);
  }

  it("two clinic admins adding the same membership at once: one 201, one 409", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const receptionist = await buildPerson(app, "receptionist");
      const body = { userId: receptionist.user.id, role: "receptionist" };
      const [won, lost] = await race([
        post(admins[0], `/clinics/${clinicId}/members`, body),
        post(admins[1], `/clinics/${clinicId}/members`, body),
      ]);
      expect(won!.status).toBe(201);
      expect(lost!.status).toBe(409);
      expect(problemSchema.parse(lost!.body).code).toBe("MEMBERSHIP_EXISTS");
      expect(await count(app, `select count(*) n from clinic_membership where user_id = ?`, [receptionist.user.id])).toBe(1);
      expect(await count(app, `select count(*) n from audit_event where action = 'clinic.member.add' and after->>'userId' = ?`, [receptionist.user.id])).toBe(1);
    }
  });

  it("two service creations with the same name at once: one 201, one 409", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Race visit ${round}`;
      const body = { name, durationMinutes: 20, colour: "#123456" };
      const [won, lost] = await race([
        post(admins[0], `/clinics/${clinicId}/services`, body),
        post(admins[1], `/clinics/${clinicId}/services`, body),
      ]);
      expect(won!.status).toBe(201);
      expect(lost!.status).toBe(409);
      expect(problemSchema.parse(lost!.body).code).toBe("SERVICE_NAME_TAKEN");
      expect(await count(app, `select count(*) n from clinic_service where clinic_id = ? and name = ?`, [clinicId, name])).toBe(1);
    }
  });

  // Racing doctor–patient relation PUTs (two clinic admins): tests/directory/relations.test.ts.
});
