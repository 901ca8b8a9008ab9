// /console/queues: queues with their work and settings; admins pause, resume and set limits.
import { live, post } from '../api.js';
import { h, replace, table, status, problem, notice, ago } from '../ui.js';

export default function queues({ main, me }) {
  document.title = 'Queues · AgentRuntime console';
  const messages = h('div', { 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Queues'), messages, body);
  const configure = async (queue, settings, what) => {
    try {
      await post(`queues/${encodeURIComponent(queue)}`, settings);
      replace(messages, notice(`Queue ${queue}: ${what}.`));
    } catch (error) {
      replace(messages, problem(error));
    }
  };
  return live('queues', {}, (list) => replace(body,
    table('Queues', [
      ['Queue', (q) => q.name],
      ['State', (q) => q.paused ? status('paused') : 'running'],
      ['Concurrency limit', (q) => q.concurrency_limit ?? '–', { num: true }],
      ['Rate per second', (q) => q.rate_per_second ?? '–', { num: true }],
      ['Ready', (q) => q.ready, { num: true }],
      ['Scheduled', (q) => q.scheduled, { num: true }],
      ['Running', (q) => q.running, { num: true }],
      ['Waiting', (q) => q.waiting, { num: true }],
      ['Failed (1 h)', (q) => q.failed_last_hour, { num: true }],
      ['Oldest ready', (q) => q.oldest_ready_at ? ago(q.oldest_ready_at) : '–', { num: true }],
      ...(me.configure_queue ? [['Action', (q) => h('button', { type: 'button',
        onclick: () => configure(q.name, { paused: !q.paused }, q.paused ? 'resumed' : 'paused') }, `${q.paused ? 'Resume' : 'Pause'} ${q.name}`)]] : []),
    ], list, 'No queue has work or settings.'),
    me.configure_queue ? limits(list, configure) : null), (error) => replace(body, problem(error)));
}

function limits(list, configure) {
  const number = (value) => (value === '' ? null : Number(value));
  const form = h('form', { class: 'filters', 'aria-labelledby': 'limits-title', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    configure(String(data.get('queue')), {
      concurrency_limit: number(String(data.get('concurrency_limit'))),
      rate_per_second: number(String(data.get('rate_per_second'))),
    }, 'limits set');
  } },
  h('div', { class: 'field' }, h('label', { for: 'limit-queue' }, 'Queue'),
    h('input', { id: 'limit-queue', name: 'queue', required: true, list: 'queue-names' }),
    h('datalist', { id: 'queue-names' }, list.map((q) => h('option', { value: q.name })))),
  h('div', { class: 'field' }, h('label', { for: 'limit-concurrency' }, 'Concurrency limit (empty: none)'),
    h('input', { id: 'limit-concurrency', name: 'concurrency_limit', type: 'number', min: 1 })),
  h('div', { class: 'field' }, h('label', { for: 'limit-rate' }, 'Rate per second (empty: none)'),
    h('input', { id: 'limit-rate', name: 'rate_per_second', type: 'number', min: 0.001, step: 'any' })),
  h('button', { class: 'primary', type: 'submit' }, 'Set limits'));
  return h('section', {}, h('h2', { id: 'limits-title' }, 'Limits'), form);
}
