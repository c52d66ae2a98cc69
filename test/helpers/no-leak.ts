// Text that must never appear in a response body: stack frames and source locations. Shared by
// the in-process app tests and the tests against the real cluster.
export function assertNoLeak(body: string): void {
  const leaks = [/\bat .+\(.*\)/, /\n\s+at /, /\/work/, /node_modules/, /\.ts\b/, /\.js:\d+/];
  for (const pattern of leaks) {
    if (pattern.test(body)) throw new Error(`response body leaks ${String(pattern)}: ${body}`);
  }
}
