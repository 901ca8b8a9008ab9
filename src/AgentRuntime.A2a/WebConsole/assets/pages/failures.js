// /console/failures: what fails, grouped by error, in the last hours (?hours=, default 24).
import { live } from '../api.js';
import { h, replace, table, time, link, problem, taskLink, status } from '../ui.js';

export default function failures({ main, search }) {
  document.title = 'Failures · AgentRuntime console';
  const hours = search.get('hours') ?? '24';
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Failures'),
    h('p', {}, `Steps that failed for good in the last ${hours} hours, and steps waiting to retry after a failed attempt, grouped by error.`),
    body);
  return live('failures', { hours }, (list) => replace(body, table('Failures grouped by error, most recent first', [
    ['Outcome', (f) => f.outcome === 'retry' ? status('waiting') : status('failed')],
    ['Error', (f) => f.message],
    ['Failures', (f) => f.failures, { num: true }],
    ['Tasks', (f) => f.tasks, { num: true }],
    ['Agents', (f) => (f.agents ?? []).join(', ')],
    ['Targets', (f) => (f.targets ?? []).join(', ')],
    ['First', (f) => time(f.first_failed_at)],
    ['Last', (f) => time(f.last_failed_at)],
    ['Newest task', (f) => taskLink(f.last_task_id)],
  ], list, 'Nothing failed.')), (error) => replace(body, problem(error)));
}
