// A process's descriptors as the quiescent check sees them: TCP connections (by state, with
// their addresses: after every client left there should be none) apart from everything else
// (pipes, Unix sockets, listening sockets, epoll: compared with the quiet baseline).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface TcpEntry {
  inode: string;
  state: string;
  local: string;
  remote: string;
}

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** "0100007F:1F90" (little-endian IPv4 on x86) -> "127.0.0.1:8080"; IPv6 kept as hex. */
function address(hex: string): string {
  const [ip = '', port = '0'] = hex.split(':');
  const host =
    ip.length === 8
      ? [6, 4, 2, 0].map((i) => Number.parseInt(ip.slice(i, i + 2), 16)).join('.')
      : `[${ip}]`;
  return `${host}:${Number.parseInt(port, 16)}`;
}

/** Parses /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): TcpEntry[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 10)
    .map((f) => ({
      local: address(f[1]!),
      remote: address(f[2]!),
      state: STATES[f[3]!] ?? f[3]!,
      inode: f[9]!,
    }));
}

export interface FdSnapshot {
  total: number;
  /** TCP sockets of this process that are not listening. */
  connections: TcpEntry[];
  /** Every other descriptor. */
  other: number;
}

function readTcpTable(): Map<string, TcpEntry> {
  const byInode = new Map<string, TcpEntry>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const entry of parseProcNetTcp(readFileSync(file, 'utf8')))
        byInode.set(entry.inode, entry);
    } catch {
      // no IPv6 table: fine
    }
  }
  return byInode;
}

/** Undefined when the process is gone. */
export function fdSnapshot(pid: number): FdSnapshot | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const tcp = readTcpTable();
  const connections: TcpEntry[] = [];
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const entry = inode === undefined ? undefined : tcp.get(inode);
    if (entry && entry.state !== 'LISTEN') connections.push(entry);
  }
  return { total: fds.length, connections, other: fds.length - connections.length };
}

/** "CLOSE_WAIT 127.0.0.1:8080 (api port)<-127.0.0.1:54321", ports named when known. */
export function describeConnections(
  connections: TcpEntry[],
  portNames: Record<number, string> = {},
): string {
  const named = (address: string) => {
    const name = portNames[Number(address.slice(address.lastIndexOf(':') + 1))];
    return name ? `${address} (${name})` : address;
  };
  return connections.map((c) => `${c.state} ${named(c.local)}<-${c.remote}`).join(', ');
}
