// Bearer-token check for the manager's mutating endpoints. Off entirely without ADMIN_TOKEN;
// compared in constant time (over hashes, so lengths leak nothing either).
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../../http-errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Throws the endpoint's answer (403 admin calls off, 401 wrong token) unless `authorization` may call. */
export function requireAdmin(
  adminToken: string | undefined,
  authorization: string | undefined,
): void {
  if (adminToken === undefined) {
    throw new HttpError(
      403,
      'admin_disabled',
      'admin endpoints are off: set ADMIN_TOKEN to enable them',
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1] || !timingSafeEqual(digest(match[1]), digest(adminToken))) {
    throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token', {
      headers: { 'WWW-Authenticate': 'Bearer realm="cluster-manager"' },
    });
  }
}
