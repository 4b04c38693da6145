/**
 * Display tokens: the credentials of waiting-room screens. One token per screen, scoped to one
 * clinic, created and revoked by that clinic's admins. The token `dsp_<id>.<secret>` is shown once;
 * only SHA-256(secret) is stored, and the secret is compared in constant time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { LockMode } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  DISPLAY_TOKEN_PREFIX,
  displayTokenPattern,
  type CreatedDisplayToken,
  type CreateDisplayTokenRequest,
  type DisplayTokenView,
} from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { findClinic } from "../directory";
import { notFound } from "../../platform/errors";
import { writeTransaction } from "../../platform/transactions";
import { sha256 } from "../identity";
import { DisplayToken } from "./display-token.entity";

/** A socket that authenticated with a display token: it may watch its clinic's display and nothing else. */
export interface DisplayPrincipal {
  kind: "display";
  /** The display token's id. */
  id: string;
  clinicId: string;
  [key: string]: unknown;
}

/** `lastUsedAt` is refreshed at most this often, so a reconnecting screen does not write on every attempt. */
const LAST_USED_RESOLUTION = "1 minute";

export function displayTokenView(token: DisplayToken): DisplayTokenView {
  return {
    id: token.id,
    clinicId: token.clinic.id,
    name: token.name,
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy?.id ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

/** What the audit trail keeps about a token: never the token or its hash. */
const auditView = (token: DisplayToken) => {
  const { id, clinicId, name, revokedAt } = displayTokenView(token);
  return { id, clinicId, name, revokedAt };
};

export async function createDisplayToken(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  input: CreateDisplayTokenRequest,
): Promise<CreatedDisplayToken> {
  const secret = randomBytes(32).toString("base64url");
  return writeTransaction(em, async (tx) => {
    const clinic = await findClinic(tx, clinicId);
    const token = tx.create(DisplayToken, {
      clinic,
      name: input.name,
      secretHash: sha256(secret),
      createdBy: actor.userId,
      lastUsedAt: null,
      revokedAt: null,
    });
    recordAudit(tx, actor, { action: "display_token.create", entityType: "DisplayToken", entityId: token.id, clinicId, after: auditView(token) });
    await tx.flush();
    return {
      id: token.id,
      clinicId,
      name: token.name,
      createdAt: token.createdAt.toISOString(),
      token: `${DISPLAY_TOKEN_PREFIX}${token.id}.${secret}`,
    };
  });
}

/** Every token of the clinic, live and revoked, newest first (a deactivated clinic's too, to clean up). */
export async function listDisplayTokens(em: EntityManager, clinicId: string): Promise<DisplayTokenView[]> {
  await findClinic(em, clinicId, { includeInactive: true });
  const tokens = await em.find(DisplayToken, { clinic: clinicId }, { orderBy: { createdAt: "desc", id: "asc" } });
  return tokens.map(displayTokenView);
}

/** The clinic a token belongs to (for the guard), or 404. */
export async function displayTokenClinicId(em: EntityManager, tokenId: string): Promise<string> {
  const token = await em.findOne(DisplayToken, { id: tokenId }, { fields: ["id", "clinic"] });
  if (!token) throw notFound("Display token");
  return token.clinic.id;
}

/**
 * Revokes a token (idempotent: an already revoked token is answered as it is, and not audited
 * again). The caller disconnects the token's live sockets after this commits.
 */
export async function revokeDisplayToken(em: EntityManager, actor: AuditActor, tokenId: string): Promise<DisplayTokenView> {
  return writeTransaction(em, async (tx) => {
    const token = await tx.findOne(DisplayToken, { id: tokenId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!token) throw notFound("Display token");
    if (token.revokedAt) return displayTokenView(token);
    const before = auditView(token);
    token.revokedAt = new Date();
    recordAudit(tx, actor, {
      action: "display_token.revoke",
      entityType: "DisplayToken",
      entityId: token.id,
      clinicId: token.clinic.id,
      before,
      after: auditView(token),
    });
    await tx.flush();
    return displayTokenView(token);
  });
}

/**
 * The principal a display token stands for, or null when it is malformed, unknown, forged, revoked
 * or its clinic is deactivated. Marks the token used (at most once a minute).
 */
export async function principalFromDisplayToken(em: EntityManager, token: string): Promise<DisplayPrincipal | null> {
  const match = displayTokenPattern.exec(token);
  if (!match) return null;
  const [, id, secret] = match as unknown as [string, string, string];
  const connection = em.getConnection();
  const [row] = await connection.execute<{ id: string; clinic_id: string; secret_hash: string }[]>(
    `select t.id, t.clinic_id, t.secret_hash
       from display_token t join clinic c on c.id = t.clinic_id
      where t.id = ? and t.revoked_at is null and c.active`,
    [id],
  );
  if (!row) return null;
  const given = Buffer.from(sha256(secret), "hex");
  const stored = Buffer.from(row.secret_hash, "hex");
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
  await connection.execute(
    `update display_token set last_used_at = now()
      where id = ? and (last_used_at is null or last_used_at < now() - interval '${LAST_USED_RESOLUTION}')`,
    [id],
  );
  return { kind: "display", id: row.id, clinicId: row.clinic_id };
}

/** Whether the token is still live (not revoked, clinic active): re-checked where a race could let a revoked screen in. */
export async function isDisplayTokenLive(em: EntityManager, tokenId: string): Promise<boolean> {
  const [row] = await em.getConnection().execute<{ live: boolean }[]>(
    `select true as live from display_token t join clinic c on c.id = t.clinic_id
      where t.id = ? and t.revoked_at is null and c.active`,
    [tokenId],
  );
  return row !== undefined;
}

export const isDisplayPrincipal = (principal: { kind: string }): principal is DisplayPrincipal =>
  principal.kind === "display" && typeof (principal as DisplayPrincipal).clinicId === "string";
