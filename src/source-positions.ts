// Positions in built JavaScript (`dist/worker.js:66:71877`) mapped back to their source
// (`src/app/workloads.ts:20:5`) for the stacks a worker logs. A map is read only when a stack is
// mapped, and not kept: unlike process.setSourceMapsEnabled(true), nothing at boot or per request.
import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `file:///a/b.js:12:34` or `/a/b.js:12:34` after a space or `(`: node: internals are not files.
const POSITION = /(?<=^|[\s(])(file:\/\/\/[^\s()]*?\.[cm]?js|\/[^\s():]*?\.[cm]?js):(\d+):(\d+)/gm;
const SOURCE_MAPPING_URL = /\/\/# sourceMappingURL=(\S+)\s*$/;
/** Causes deeper than this are left as they are (and a cycle ends). */
const MAX_CAUSES = 8;

// `base`: where the map's `sources` are relative to.
type LoadedMap = { map: SourceMap; base: URL };

export function hasFilePositions(texts: readonly string[]): boolean {
  return texts.some((text) => text.search(POSITION) !== -1);
}

/**
 * The texts with each position that has a source map replaced by its origin. Files or maps written
 * after `loadedAt` (the process's start) are not trusted: they no longer match the code that ran.
 */
export function withSourcePositions(
  texts: readonly string[],
  loadedAt = Date.now() - process.uptime() * 1000,
): string[] {
  const maps = new Map<string, LoadedMap | null>();
  return texts.map((text) =>
    text.replace(POSITION, (whole, file: string, line: string, column: string) => {
      if (!maps.has(file)) maps.set(file, loadMap(file, loadedAt));
      const loaded = maps.get(file);
      const origin = loaded && originOf(loaded, Number(line), Number(column));
      if (!origin) return whole;
      const where = file.startsWith('file:') ? origin.url.href : fileURLToPath(origin.url);
      return `${where}:${origin.line}:${origin.column}`;
    }),
  );
}

/** Rewrites in place the stacks of `error` and its causes (pino's `err` prints them); never throws. */
export function mapErrorStacks(error: unknown): void {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && chain.length <= MAX_CAUSES; e = e.cause) {
    if (chain.includes(e)) break;
    chain.push(e);
  }
  try {
    const withStacks = chain.filter((e) => typeof e.stack === 'string');
    const mapped = withSourcePositions(withStacks.map((e) => e.stack!));
    withStacks.forEach((e, i) => (e.stack = mapped[i]));
  } catch {
    // A frozen error, a map that breaks the parser: the stack as the runtime wrote it.
  }
}

function originOf({ map, base }: LoadedMap, line: number, column: number) {
  // Stacks count from 1, the map from 0.
  const entry = map.findEntry(line - 1, column - 1) as Partial<{
    originalSource: string;
    originalLine: number;
    originalColumn: number;
  }>;
  if (typeof entry.originalSource !== 'string' || entry.originalLine === undefined) return null;
  return {
    url: new URL(entry.originalSource, base),
    line: entry.originalLine + 1,
    column: (entry.originalColumn ?? 0) + 1,
  };
}

function loadMap(file: string, loadedAt: number): LoadedMap | null {
  try {
    const fileUrl = file.startsWith('file:') ? new URL(file) : pathToFileURL(file);
    const path = fileURLToPath(fileUrl);
    // The file is read whole to find its last line: its map, read next, is larger still.
    const reference = SOURCE_MAPPING_URL.exec(readFileSync(path, 'utf8'))?.[1];
    // An inline (data:) map would mean reading the whole file: none of ours is.
    if (reference === undefined || reference.startsWith('data:')) return null;
    const mapUrl = new URL(reference, fileUrl);
    if (statSync(path).mtimeMs > loadedAt || statSync(mapUrl).mtimeMs > loadedAt) return null;
    const payload = JSON.parse(readFileSync(mapUrl, 'utf8')) as Record<string, unknown>;
    // Positions are all that is needed; the sources' text is most of a map's size.
    delete payload.sourcesContent;
    const root = typeof payload.sourceRoot === 'string' ? payload.sourceRoot : '';
    return {
      map: new SourceMap(payload as unknown as ConstructorParameters<typeof SourceMap>[0]),
      base: new URL(root === '' || root.endsWith('/') ? root : `${root}/`, mapUrl),
    };
  } catch {
    return null;
  }
}
