// The Node.js lines this service supports, checked before anything else loads: on an older one
// (Node 20 reached end of life on 2026-04-30) it stops at once with one line saying what it needs,
// instead of failing later in some less obvious way.

export const SUPPORTED_NODE = 'Node.js 22.12 or later on 22, 24 or 26';

/** True for the versions `engines` admits: 22.12+, 24, 26, and any later line. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 22) return minor >= 12;
  return major === 24 || major >= 26;
}

if (!isSupportedNode(process.versions.node)) {
  process.stderr.write(
    `koa-cluster-service needs ${SUPPORTED_NODE}; this is Node.js ${process.versions.node}\n`,
  );
  process.exit(1);
}
