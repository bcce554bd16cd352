/**
 * A small inline-SVG line chart for the HTML report: linear axes with a few labelled ticks, one
 * polyline per series (gaps where a value is missing), and shaded vertical bands for fault windows.
 * No scripts, no external resources: the report opens offline.
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** [x, y]; y null leaves a gap. */
  readonly points: readonly (readonly [number, number | null])[];
}

export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly yUnit: string;
  readonly series: readonly Series[];
  readonly bands: readonly Band[];
}

const width = 680;
const height = 226;
const pad = { left: 56, right: 12, top: 40, bottom: 34 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
function tickStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

function polylines(series: Series, x: (v: number) => number, y: (v: number) => number): string {
  const runs: string[][] = [[]];
  for (const [px, py] of series.points) {
    if (py === null) runs.push([]);
    else runs[runs.length - 1]?.push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`);
  }
  const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
  return runs.filter((r) => r.length > 0).map((r) =>
    r.length === 1 ? `<circle cx="${r[0]?.split(',')[0] ?? 0}" cy="${r[0]?.split(',')[1] ?? 0}" r="2" fill="${series.color}"/>`
      : `<polyline fill="none" stroke="${series.color}" stroke-width="1.6"${dash} points="${r.join(' ')}"/>`).join('');
}

function axes(xMax: number, yMax: number, x: (v: number) => number, y: (v: number) => number, yUnit: string): string {
  const parts: string[] = [];
  const yStep = tickStep(yMax, 4);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(4)).toLocaleString('en-US')}</text>`);
  }
  const xStep = tickStep(xMax, 8);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) parts.push(`<text x="${x(v)}" y="${height - pad.bottom + 16}" text-anchor="middle">${v}</text>`);
  parts.push(`<text x="${width - pad.right}" y="${height - 4}" text-anchor="end">seconds since start</text>`);
  parts.push(`<text x="8" y="${pad.top - 4}">${escapeXml(yUnit)}</text>`);
  return parts.join('');
}

function legend(series: readonly Series[]): string {
  return series.map((s, i) => {
    const lx = pad.left + i * 130;
    const dash = s.dashed === true ? ' stroke-dasharray="5 3"' : '';
    return `<line x1="${lx}" x2="${lx + 18}" y1="24" y2="24" stroke="${s.color}" stroke-width="2"${dash}/>` +
      `<text x="${lx + 22}" y="28">${escapeXml(s.name)}</text>`;
  }).join('');
}

export function lineChart(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map(([px]) => px));
  const ys = spec.series.flatMap((s) => s.points.flatMap(([, py]) => (py === null ? [] : [py])));
  const xMax = Math.max(1, ...xs, ...spec.bands.map((b) => b.to));
  const yMax = Math.max(1e-9, ...ys) * 1.08;
  const x = (v: number): number => pad.left + (v / xMax) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
  const bands = spec.bands.map((b) => `<rect x="${x(b.from)}" y="${pad.top}" width="${Math.max(1, x(b.to) - x(b.from))}" ` +
    `height="${height - pad.top - pad.bottom}" fill="#d62728" fill-opacity="0.12"><title>${escapeXml(b.label)}</title></rect>` +
    `<text x="${x(b.from) + 3}" y="${pad.top + 12}" fill="#a01010">${escapeXml(b.label)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<text x="${width / 2}" y="12" text-anchor="middle" font-weight="bold">${escapeXml(spec.title)}</text>` +
    bands + axes(xMax, yMax, x, y, spec.yUnit) + spec.series.map((s) => polylines(s, x, y)).join('') + legend(spec.series) +
    `<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#888"/>` +
    `<line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#888"/></svg>`;
}
