// JSON.parse keeps the last of two equal keys without a word; jq does the same, so a log line
// with two `level` keys reads as whichever came last. This finds such keys.

/**
 * Keys that occur twice in the same object of a JSON text, in order of their second occurrence.
 * Expects valid JSON (check with JSON.parse first): it only tracks strings and nesting.
 */
export function duplicateKeys(json: string): string[] {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: Array<Set<string> | null> = [];
  const duplicates: string[] = [];
  let expectingKey = false;
  for (let i = 0; i < json.length; i += 1) {
    const char = json[i];
    if (char === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectingKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) duplicates.push(key);
        keys.add(key);
        expectingKey = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectingKey = true;
    } else if (char === '[') {
      open.push(null);
      expectingKey = false;
    } else if (char === '}' || char === ']') {
      open.pop();
      expectingKey = false;
    } else if (char === ',') {
      expectingKey = open[open.length - 1] !== null && open.length > 0;
    }
  }
  return duplicates;
}
