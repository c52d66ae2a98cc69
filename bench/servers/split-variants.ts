// The variants of bench/servers/split-server.ts, in layer order: a module of their own so the
// bench (bench/rows/request-cost.ts) can read them without starting a server in its own process.
export const SPLIT_VARIANTS = ['plain', 'routes', 'ids', 'headers', 'envelope', 'service'] as const;
export type SplitVariant = (typeof SPLIT_VARIANTS)[number];
