import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { UserRole } from "@clinic/shared";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_DAYS = 30;

export interface AccessClaims {
  /** user id */
  sub: string;
  /** session id: revoking the session revokes its access tokens too */
  sid: string;
  role: UserRole;
  iat: number;
  exp: number;
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const HEADER = encode({ alg: "HS256", typ: "JWT" });

/** A compact HS256 JWT. */
export function signAccessToken(secret: string, claims: Omit<AccessClaims, "iat" | "exp">, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const body = `${HEADER}.${encode({ ...claims, iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** The claims of a well-signed, unexpired token, or null. */
export function verifyAccessToken(secret: string, token: string, now = Date.now()): AccessClaims | null {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature || header !== HEADER) return null;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as AccessClaims;
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= now) return null;
    return claims;
  } catch {
    return null;
  }
}

/** High-entropy secrets (refresh tokens, backup codes) need no slow hash: SHA-256 is enough. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** `<row id>.<secret>`: the id finds the row, the secret proves possession. */
export function newRefreshSecret(): string {
  return randomBytes(32).toString("base64url");
}
