// A hand-written SVG line chart (no dependencies): axes with round ticks, one polyline and its
// markers per series, a legend. Pure functions: unit-tested in test/unit/bench-lib.test.ts.

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  color: string;
  dashed?: boolean;
  /** Where point labels go (default above), so two close series do not write over each other. */
  labelBelow?: boolean;
  points: ChartPoint[];
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Writes each point's y value beside its marker, formatted by this. */
  pointLabel?: (point: ChartPoint) => string;
  /**
   * Which points get a label: every one (default), or only each series' last (rightmost) point,
   * moved apart vertically where they would overlap: for many series that end close together.
   */
  labelPoints?: 'all' | 'last';
}

interface PlacedLabel {
  x: number;
  y: number;
  text: string;
  color: string;
}

/** Moves labels down (in screen space) until no two near the same x are closer than `gap`. */
export function spreadLabels(labels: readonly PlacedLabel[], gap = 12, nearX = 60): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  for (const label of [...labels].sort((a, b) => a.y - b.y)) {
    let y = label.y;
    for (const other of placed) {
      if (Math.abs(other.x - label.x) < nearX && y < other.y + gap) y = other.y + gap;
    }
    placed.push({ ...label, y });
  }
  return placed;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** 1, 2 or 5 times a power of ten: the step a person would choose for about `count` ticks. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || count < 1) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Ticks from 0 to the first multiple of a nice step at or above `maxValue`. */
export function niceTicks(maxValue: number, count = 5): number[] {
  const top = maxValue > 0 ? maxValue : 1;
  const step = niceStep(top, count);
  const n = Math.max(1, Math.ceil(top / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function fmtTick(value: number): string {
  if (value >= 1000) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(6)));
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export function buildLineChart(series: readonly ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 460;
  const margin = { top: options.subtitle ? 70 : 52, right: 30, bottom: 58, left: 72 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xTicks = niceTicks(Math.max(0, ...all.map((p) => p.x)), 6);
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p.y)), 5);
  const xMax = xTicks[xTicks.length - 1] as number;
  const yMax = yTicks[yTicks.length - 1] as number;
  const sx = (x: number) => r1(margin.left + (x / xMax) * plotW);
  const sy = (y: number) => r1(margin.top + plotH - (y / yMax) * plotH);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle) {
    out.push(
      `<text x="${width / 2}" y="44" text-anchor="middle" fill="#555555">${escapeXml(options.subtitle)}</text>`,
    );
  }
  // Grid and ticks.
  for (const t of yTicks) {
    const y = sy(t);
    out.push(
      `<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${margin.left - 8}" y="${y + 4}" text-anchor="end" fill="#333333">${fmtTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = sx(t);
    out.push(
      `<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`,
    );
    out.push(
      `<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle" fill="#333333">${fmtTick(t)}</text>`,
    );
  }
  // Axes.
  out.push(
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#333333"/>`,
  );
  out.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#333333"/>`,
  );
  out.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  );
  out.push(
    `<text x="18" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${margin.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  // Series.
  const lastLabels: PlacedLabel[] = [];
  for (const s of series) {
    const points = s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .sort((a, b) => a.x - b.x);
    if (points.length === 0) continue;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline class="series" data-name="${escapeXml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}"/>`,
    );
    for (const p of points) {
      out.push(
        `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="4" fill="${s.color}"><title>${escapeXml(`${s.name}: x=${r1(p.x)}, y=${r1(p.y)}`)}</title></circle>`,
      );
      if (options.pointLabel && options.labelPoints !== 'last') {
        out.push(
          `<text x="${sx(p.x) + 6}" y="${sy(p.y) + (s.labelBelow ? 14 : -6)}" font-size="10" fill="${s.color}">${escapeXml(options.pointLabel(p))}</text>`,
        );
      }
    }
    const last = points[points.length - 1];
    if (options.pointLabel && options.labelPoints === 'last' && last) {
      lastLabels.push({
        x: sx(last.x) + 8,
        y: sy(last.y) + 4,
        text: options.pointLabel(last),
        color: s.color,
      });
    }
  }
  for (const label of spreadLabels(lastLabels)) {
    out.push(
      `<text x="${label.x}" y="${r1(label.y)}" font-size="10" fill="${label.color}">${escapeXml(label.text)}</text>`,
    );
  }
  // Legend, top left inside the plot.
  series.forEach((s, i) => {
    const y = margin.top + 14 + i * 18;
    const x = margin.left + 14;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${x + 36}" y="${y + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
