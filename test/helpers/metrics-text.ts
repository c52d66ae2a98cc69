// Reads Prometheus text exposition into series -> value, for assertions on the live /metrics.
export type Samples = Map<string, number>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

/** Sum of every sample of one metric name (all label sets). */
export function sumOf(samples: Samples, name: string): number {
  let total = 0;
  for (const [series, value] of samples) {
    const bare = series.split('{')[0];
    if (bare === name) total += value;
  }
  return total;
}

/** Samples of one metric name whose label set includes every given label. */
export function select(samples: Samples, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return [...samples].filter(([series]) => {
    if (series.split('{')[0] !== name) return false;
    return wanted.every((pair) => series.includes(pair));
  });
}

export async function scrape(managerUrl: string): Promise<Samples> {
  const response = await fetch(`${managerUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseSamples(await response.text());
}
