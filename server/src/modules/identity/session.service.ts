/**
 * Sessions and refresh-token rotation. A session is one signed-in device and a family of refresh
 * tokens; each refresh uses the presented token up (conditional UPDATE) and issues the next one. A
 * token presented after it was used is treated as stolen: the whole session is revoked.
 */
import { timingSafeEqual } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { NewDomainEvent, SessionRevocationReason, UserRole } from "@clinic/shared";
import { notFound, unauthenticated } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { recordEvents } from "../../platform/outbox";
import { AuthSession, RefreshToken } from "./session.entity";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  REFRESH_TOKEN_TTL_DAYS,
  newRefreshSecret,
  sha256,
  signAccessToken,
} from "./tokens";
import { UserAccount } from "./user.entity";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type RevokeReason = SessionRevocationReason;

const invalidRefreshToken = () =>
  unauthenticated("INVALID_REFRESH_TOKEN");

function issueRefreshToken(tx: EntityManager, session: AuthSession | string): string {
  const secret = newRefreshSecret();
  const row = tx.create(RefreshToken, { session, tokenHash: sha256(secret) });
  return `${row.id}.${secret}`;
}

function accessToken(jwtSecret: string, userId: string, sessionId: string, role: UserRole): string {
  return signAccessToken(jwtSecret, { sub: userId, sid: sessionId, role });
}

/** Opens a session for `user` inside the caller's transaction (the login's). */
export function startSession(
  tx: EntityManager,
  jwtSecret: string,
  user: UserAccount,
  client: { ip: string | null; userAgent: string | null },
): TokenPair & { sessionId: string } {
  const session = tx.create(AuthSession, {
    user,
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_DAYS * 86_400_000),
    ip: client.ip?.slice(0, 64) ?? null,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
  });
  return {
    sessionId: session.id,
    accessToken: accessToken(jwtSecret, user.id, session.id, user.role),
    refreshToken: issueRefreshToken(tx, session),
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface PresentedRow {
  session_id: string;
  token_hash: string;
  user_id: string;
  /** The session is revoked or past its expiry. */
  ended: boolean;
}

/**
 * Rotates a refresh token. Exactly one of several concurrent presentations of a token wins; every
 * other one is a reuse, which revokes the session (and so every token and access token of it).
 */
export async function refreshSession(em: EntityManager, jwtSecret: string, presented: string, actor: AuditActor): Promise<TokenPair> {
  const dot = presented.indexOf(".");
  const id = presented.slice(0, dot);
  const secret = presented.slice(dot + 1);
  if (dot < 0 || !UUID.test(id) || !secret) throw invalidRefreshToken();

  const outcome = await em.transactional(async (tx): Promise<TokenPair | "invalid" | "reused"> => {
    const [row] = await tx.execute<PresentedRow[]>(
      `select rt.session_id, rt.token_hash, s.user_id, (s.revoked_at is not null or s.expires_at <= now()) as ended
         from refresh_token rt join auth_session s on s.id = rt.session_id
        where rt.id = ?`,
      [id],
    );
    if (!row || !timingSafeEqual(Buffer.from(sha256(secret)), Buffer.from(row.token_hash))) return "invalid";
    if (row.ended) return "invalid";
    const used = await tx.execute<{ id: string }[]>(
      "update refresh_token set used_at = now() where id = ? and used_at is null returning id",
      [id],
    );
    if (used.length === 0) {
      await revokeWhere(tx, "id = ?", [row.session_id], "refresh_token_reuse");
      recordAudit(tx, { ...actor, userId: row.user_id }, {
        action: "session.reuse_detected",
        entityType: "session",
        entityId: row.session_id,
      });
      return "reused";
    }
    const user = await tx.findOne(UserAccount, { id: row.user_id, status: "active" });
    if (!user) return "invalid";
    await tx.execute("update auth_session set last_used_at = now() where id = ?", [row.session_id]);
    return {
      accessToken: accessToken(jwtSecret, user.id, row.session_id, user.role),
      refreshToken: issueRefreshToken(tx, row.session_id),
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    };
  });
  if (outcome === "reused") {
    throw unauthenticated("REFRESH_TOKEN_REUSED");
  }
  if (outcome === "invalid") throw invalidRefreshToken();
  return outcome;
}

/**
 * Revokes the live sessions matching `where` (SQL over auth_session); returns their ids. Records
 * `session.revoked` with them, so their sockets close on every node once this commits.
 */
async function revokeWhere(tx: EntityManager, where: string, params: unknown[], reason: RevokeReason): Promise<string[]> {
  const rows = await tx.execute<{ id: string; user_id: string }[]>(
    `update auth_session set revoked_at = now(), revoked_reason = ? where revoked_at is null and ${where} returning id, user_id`,
    [reason, ...params],
  );
  const byUser = Map.groupBy(rows, (row) => row.user_id);
  await recordEvents(
    tx,
    [...byUser].map(([userId, sessions]): NewDomainEvent => ({ name: "session.revoked", data: { userId, sessionIds: sessions.map((row) => row.id), reason } })),
  );
  return rows.map((row) => row.id);
}

/** Every live session of the user, or all but `exceptSessionId`; inside the caller's transaction (deactivation's too). */
export function revokeUserSessions(tx: EntityManager, userId: string, reason: RevokeReason, exceptSessionId?: string): Promise<string[]> {
  return exceptSessionId
    ? revokeWhere(tx, "user_id = ? and id <> ?", [userId, exceptSessionId], reason)
    : revokeWhere(tx, "user_id = ?", [userId], reason);
}

/** Ends one of the user's own sessions; someone else's (or an ended one) is 404. */
export async function revokeSession(
  em: EntityManager,
  userId: string,
  sessionId: string,
  actor: AuditActor,
  reason: "logout" | "revoked",
): Promise<void> {
  await em.transactional(async (tx) => {
    const revoked = await revokeWhere(tx, "id = ? and user_id = ?", [sessionId, userId], reason);
    if (revoked.length === 0) throw notFound("Session");
    recordAudit(tx, actor, {
      action: reason === "logout" ? "session.logout" : "session.revoke",
      entityType: "session",
      entityId: sessionId,
    });
  });
}

export async function revokeAllSessions(em: EntityManager, userId: string, actor: AuditActor): Promise<void> {
  await em.transactional(async (tx) => {
    const revoked = await revokeUserSessions(tx, userId, "logout_all");
    recordAudit(tx, actor, { action: "session.revoke_all", entityType: "user", entityId: userId, after: { sessions: revoked.length } });
  });
}

export async function listSessions(em: EntityManager, userId: string, currentSessionId: string) {
  const sessions = await em.find(
    AuthSession,
    { user: userId, revokedAt: null, expiresAt: { $gt: new Date() } },
    { orderBy: { lastUsedAt: "desc", createdAt: "desc" } },
  );
  return sessions.map((session) => ({
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent ?? null,
    ip: session.ip ?? null,
    current: session.id === currentSessionId,
  }));
}
