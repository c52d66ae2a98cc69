// Bearer-token check for the manager's mutating endpoints. Off entirely without ADMIN_TOKEN;
// compared in constant time (over hashes, so lengths leak nothing either).
import { createHash, timingSafeEqual } from 'node:crypto';

export type AdminAuthResult = 'ok' | 'disabled' | 'unauthorized';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function checkAdminAuth(
  adminToken: string | undefined,
  authorization: string | undefined,
): AdminAuthResult {
  if (adminToken === undefined) return 'disabled';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return 'unauthorized';
  return timingSafeEqual(digest(match[1]), digest(adminToken)) ? 'ok' : 'unauthorized';
}
