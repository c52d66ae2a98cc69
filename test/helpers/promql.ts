// PromQL read lexically: which metric names an expression selects.

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/**
 * Metric names a PromQL expression selects (a lexical approximation, good for the rules and
 * dashboards here): strings, label matchers, ranges and grouping clauses are removed, and what
 * is left that is neither a keyword, a number nor a function call is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?[\dsmhdwy]+/gi, ' ')
    .replace(/#.*$/gm, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const word = match[1] as string;
    if (match[2] || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
