// /console: the work of each agent, workflow and queue, throughput, and the workers.
import { live } from '../api.js';
import { h, replace, table, ago, problem, link } from '../ui.js';
import { throughputChart } from '../chart.js';

export default function overview({ main }) {
  document.title = 'Overview · AgentRuntime console';
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Overview'), body);
  return live('overview', {}, (view) => render(body, view), (error) => replace(body, problem(error)));
}

function render(body, view) {
  const now = new Date(view.now).getTime();
  const of = (kind) => view.stats.filter((s) => s.kind === kind);
  const counts = (kind, title, name) => [
    [title, name],
    ['Ready', (s) => s.ready, { num: true }],
    ['Scheduled', (s) => s.scheduled, { num: true }],
    ['Running', (s) => s.running, { num: true }],
    ['Waiting', (s) => s.waiting, { num: true }],
    ['Failed (1 h)', (s) => s.failed_last_hour, { num: true }],
    ['Oldest ready', (s) => s.oldest_ready_at ? ago(s.oldest_ready_at, now) : '–', { num: true }],
  ];
  const tasksOf = (filter) => (s) => link(`/console/tasks?${filter}=${encodeURIComponent(s.name)}`, s.name);
  const alive = view.workers.filter((w) => w.alive);
  replace(body,
    h('div', { class: 'grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'throughput-title' },
        h('h2', { id: 'throughput-title' }, 'Throughput, last 15 minutes'),
        throughputChart(view.throughput)),
      h('section', { class: 'panel', 'aria-labelledby': 'workers-title' },
        h('h2', { id: 'workers-title' }, `Workers alive: ${alive.length}`),
        table('Workers heard from in the last 2 minutes', [
          ['Worker', (w) => w.worker_id],
          ['Slots in use', (w) => w.slots === null ? `${w.running_steps}` : `${w.running_steps} / ${w.slots}`, { num: true }],
          ['Agents', (w) => w.agents.join(', ')],
          ['Last heartbeat', (w) => `${ago(w.last_heartbeat_at, now)} ago`, { num: true }],
        ], alive, 'No worker is alive: start one with agent-runtime run.'),
        view.workers.length > alive.length ? h('p', { class: 'muted' }, `${view.workers.length - alive.length} more not heard from lately.`) : null)),
    h('section', { 'aria-labelledby': 'agents-title' }, h('h2', { id: 'agents-title' }, 'Agents'),
      table('Steps of each agent', counts('agent', 'Agent', tasksOf('target')), of('agent'), 'No agent is registered.')),
    h('section', { 'aria-labelledby': 'workflows-title' }, h('h2', { id: 'workflows-title' }, 'Workflows'),
      table('Steps of each workflow\'s tasks', counts('workflow', 'Workflow', tasksOf('target')), of('workflow'), 'No workflow is defined.')),
    h('section', { 'aria-labelledby': 'queues-title' }, h('h2', { id: 'queues-title' }, 'Queues'),
      table('Steps in each queue', counts('queue', 'Queue', tasksOf('queue')), of('queue'), 'No queue has work.')));
}
