// Throughput as stacked bars, one per minute: completed, failed and canceled tasks.
import { h, svg } from './ui.js';

const series = [['completed', '#1a7f37'], ['failed', '#cf222e'], ['canceled', '#6e7781']];

export function throughputChart(points) {
  const width = 600, height = 160, left = 34, bottom = 22, top = 8;
  const max = Math.max(1, ...points.map((p) => p.completed + p.failed + p.canceled));
  const step = (width - left) / Math.max(points.length, 1);
  const y = (value) => top + (height - top - bottom) * (1 - value / max);
  const total = (name) => points.reduce((sum, p) => sum + p[name], 0);
  const label = `Tasks finished per minute over the last ${points.length} minutes: ` +
    series.map(([name]) => `${total(name)} ${name}`).join(', ') + '.';
  const bars = points.flatMap((p, i) => {
    let base = 0;
    return series.map(([name, color]) => {
      const value = p[name];
      const rect = svg('rect', { x: left + i * step + 2, y: y(base + value), width: Math.max(step - 4, 1),
        height: y(base) - y(base + value), fill: color },
        svg('title', {}, `${new Date(p.minute).toLocaleTimeString()}: ${value} ${name}`));
      base += value;
      return value ? rect : null;
    }).filter(Boolean);
  });
  const ticks = points.map((p, i) => (i % 5 === 0 || i === points.length - 1)
    ? svg('text', { x: left + i * step + step / 2, y: height - 6, 'text-anchor': 'middle', 'font-size': 10, fill: '#57606a' },
        new Date(p.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }))
    : null).filter(Boolean);
  return h('div', { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
      svg('line', { x1: left, x2: width, y1: y(0), y2: y(0), stroke: '#d0d7de' }),
      svg('text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#57606a' }, String(max)),
      svg('text', { x: left - 6, y: y(0), 'text-anchor': 'end', 'font-size': 10, fill: '#57606a' }, '0'),
      bars, ticks),
    h('div', { class: 'legend' }, series.map(([name, color]) =>
      h('span', {}, h('span', { class: `swatch ${name}` }), `${name} ${total(name)}`))));
}
