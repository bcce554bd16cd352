// Goal: the timelines show the failing window faithfully and the HTML stays self-contained and
// safe for arbitrary keys and values. Method: render a known failure (a stale read) and inspect
// the text rows and legend, and the HTML for external references and unescaped markup.

import { describe, expect, it } from 'vitest';
import { checkHistory } from './linearizability.js';
import { historyOf, read, write, type OpSpec } from './testkit.js';
import { buildTimelineView, renderHtmlTimeline, renderTextTimeline } from './timeline.js';

function failingView(specs: readonly OpSpec[], options = {}) {
  const ops = historyOf(specs);
  const [failure] = checkHistory(ops).failures;
  if (failure === undefined) throw new Error('Expected a failing key');
  return { ops, view: buildTimelineView(ops, failure, options) };
}

const staleRead = [write(0, 'a', 0, 10), write(0, 'b', 20, 30), read(1, 'a', 40, 50), write(2, 'c', 45, 200, 'info')];

describe('timeline', () => {
  it('buildTimelineView() keeps the window and recent context, one row per process', () => {
    const { ops, view } = failingView(staleRead);
    expect(view.ops).toEqual(ops);
    expect(view.rows.map((row) => row.process)).toEqual([0, 1, 2]);
    expect(view.failure.deadline).toBe(ops[2]);
    expect(view.roles.get(view.failure.deadline)).toBe('deadline');
    expect(view.start).toBe(0);
    expect(view.end).toBe(50);
  });

  it('buildTimelineView() caps the drawn operations at opsMax and counts the rest', () => {
    const { view } = failingView(staleRead, { opsMax: 2 });
    expect(view.ops).toHaveLength(2);
    expect(view.omitted).toBe(2);
  });

  it('renderTextTimeline() draws bars per process and a legend with reasons', () => {
    const { view } = failingView(staleRead);
    const text = renderTextTimeline(view, { widthChars: 40 });
    const rows = text.split('\n').filter((line) => /^p\d \|/.test(line));
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.length === rows[0]?.length)).toBe(true);
    expect(rows[0]).toMatch(/\[1=*\].*\[2=*\]/);
    expect(rows[1]).toMatch(/\[3#*\]/);
    expect(rows[2]).toMatch(/\[4!*>\|$/);
    expect(text).toContain('After 2 linearized operations the register held "b"');
    expect(text).toContain('3  p1  read -> "a"  ok  [40 .. 50]  (deadline: read returned "a" but the register held "b")');
    expect(text).toContain('4  p2  write "c"  info  [45 .. never]');
  });

  it('renderHtmlTimeline() produces a self-contained document with escaped text', () => {
    const hostile = '<script>alert("x")</script>';
    const { view } = failingView([
      { ...write(0, hostile, 0, 10), key: '<k&1>' }, { ...read(1, 'stale & wrong', 20, 30), key: '<k&1>' },
    ]);
    const html = renderHtmlTimeline(view);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(|@import|https?:/i);
    expect(html).toContain('&#60;k&#38;1&#62;');
    expect(html).toContain('class="bar deadline"');
    expect(html).toContain('class="bar linearized"');
  });
});
