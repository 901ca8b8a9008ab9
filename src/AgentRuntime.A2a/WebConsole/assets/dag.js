// A workflow's DAG as SVG: steps in layers (each after every step it depends on), edges from a
// step to those that depend on it, and, for a task, each step's status (a map step shows how many
// of its elements finished).
import { h, svg } from './ui.js';

const fills = {
  completed: ['#dafbe1', '#1a7f37'], failed: ['#ffebe9', '#cf222e'], running: ['#ddf4ff', '#0969da'],
  waiting: ['#fff8c5', '#9a6700'], ready: ['#eaeef2', '#57606a'], pending: ['#ffffff', '#8c959f'],
  canceled: ['#f6f8fa', '#8c959f'], skipped: ['#f6f8fa', '#8c959f'],
};

let drawn = 0;

// steps: [{key, depends_on, agent, status?, elements?: [status...]}]
export function dag(steps, label) {
  const arrow = `arrow-${++drawn}`;
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const layer = new Map();
  const depth = (step, seen = new Set()) => {
    if (layer.has(step.key)) return layer.get(step.key);
    if (seen.has(step.key)) return 0;
    seen.add(step.key);
    const d = Math.max(-1, ...(step.depends_on ?? []).filter((k) => byKey.has(k)).map((k) => depth(byKey.get(k), seen))) + 1;
    layer.set(step.key, d);
    return d;
  };
  steps.forEach((s) => depth(s));
  const columns = [];
  for (const s of steps) (columns[layer.get(s.key)] ??= []).push(s);
  const W = 170, H = 54, GX = 60, GY = 18, PAD = 10;
  const pos = new Map();
  columns.forEach((column, x) => column.forEach((s, y) => pos.set(s.key, { x: PAD + x * (W + GX), y: PAD + y * (H + GY) })));
  const width = PAD * 2 + columns.length * W + Math.max(0, columns.length - 1) * GX;
  const height = PAD * 2 + Math.max(1, ...columns.map((c) => c.length)) * (H + GY) - GY;
  const edges = steps.flatMap((s) => (s.depends_on ?? []).filter((k) => pos.has(k)).map((k) => {
    const a = pos.get(k), b = pos.get(s.key);
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 6, y2 = b.y + H / 2;
    return svg('path', { d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`, fill: 'none',
      stroke: '#8c959f', 'stroke-width': 1.5, 'marker-end': `url(#${arrow})` });
  }));
  const nodes = steps.map((s) => {
    const { x, y } = pos.get(s.key);
    const [fill, stroke] = fills[s.status] ?? ['#ffffff', '#57606a'];
    const detail = s.status
      ? (s.elements?.length ? `${s.status} · ${s.elements.filter((e) => e === 'completed').length}/${s.elements.length} done` : s.status)
      : (s.agent ?? (s.wait ? 'waits for an event' : ''));
    return svg('g', { 'data-step': s.key, 'data-status': s.status ?? '' },
      svg('title', {}, `${s.key}${s.agent ? ` (${s.agent})` : ''}${s.status ? `: ${s.status}` : ''}`),
      svg('rect', { x, y, width: W, height: H, rx: 8, fill, stroke, 'stroke-width': s.status === 'running' ? 2.5 : 1.5 }),
      svg('text', { x: x + 10, y: y + 21, 'font-size': 13, 'font-weight': 600, fill: '#1f2328' }, clip(s.key, 22)),
      svg('text', { x: x + 10, y: y + 40, 'font-size': 12, fill: '#1f2328' }, clip(detail, 26)));
  });
  return h('div', { class: 'dag' },
    svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
      svg('defs', {}, svg('marker', { id: arrow, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8c959f' }))),
      edges, nodes));
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

// The steps of a task as dag() draws them: a map's elements fold into their step.
export function taskSteps(steps) {
  const top = steps.filter((s) => s.map_index === null || s.map_index === undefined);
  return top.map((s) => ({
    key: s.key, agent: s.agent, depends_on: s.depends_on, status: s.status,
    elements: steps.filter((e) => e.map_index !== null && e.map_index !== undefined && e.key.startsWith(`${s.key}[`)).map((e) => e.status),
  }));
}

// The steps of a definition as dag() draws them.
export function definitionSteps(definition) {
  return (definition?.steps ?? []).map((s) => ({ key: s.key, agent: s.agent, depends_on: s.depends_on ?? [], wait: !!s.wait_for }));
}
