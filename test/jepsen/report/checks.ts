// The verdicts of a fault run: the per-key linearizability check of history.jsonl (register and
// set operations), with a text and an HTML timeline per failing key under timelines/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHistory } from '../checker/history.js';
import { checkHistory, type Verdict } from '../checker/linearizability.js';
import { buildTimelineView, renderHtmlTimeline, renderTextTimeline } from '../checker/timeline.js';

export interface LinearizabilityReport {
  readonly valid: Verdict;
  readonly operations: number;
  readonly keys: number;
  readonly failingKeys: readonly { readonly key: string; readonly timeline: string }[];
  readonly unknownKeys: readonly string[];
  /** The first failing key's text timeline, for the console summary. */
  readonly firstTimeline?: string;
}

const stepsMaxPerKey = 2_000_000;

export function checkLinearizability(historyText: string, runDir: string): LinearizabilityReport {
  const ops = parseHistory(historyText);
  const result = checkHistory(ops, { stepsMaxPerKey });
  const failingKeys: { key: string; timeline: string }[] = [];
  let firstTimeline: string | undefined;
  if (result.failures.length > 0) mkdirSync(join(runDir, 'timelines'), { recursive: true });
  for (const [i, failure] of result.failures.entries()) {
    const view = buildTimelineView(ops, failure);
    const base = join('timelines', `key-${i + 1}`);
    const text = renderTextTimeline(view);
    writeFileSync(join(runDir, `${base}.txt`), text);
    writeFileSync(join(runDir, `${base}.html`), renderHtmlTimeline(view));
    failingKeys.push({ key: failure.key, timeline: `${base}.txt` });
    firstTimeline ??= text;
  }
  return {
    valid: result.valid, operations: ops.length, keys: result.keys.length, failingKeys,
    unknownKeys: result.keys.filter((k) => k.valid === 'unknown').map((k) => k.key),
    ...(firstTimeline === undefined ? {} : { firstTimeline }),
  };
}
