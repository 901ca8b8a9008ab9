// /console/tasks: tasks newest first, filtered by the query string (status, target, app, queue,
// after, before, id), a page at a time (page: the token of the next page), updated live.
import { live } from '../api.js';
import { h, replace, table, status, time, link, problem, taskLink } from '../ui.js';

const statuses = ['submitted', 'working', 'input-required', 'auth-required', 'completed', 'failed', 'canceled', 'rejected'];
const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export default function tasks({ main, search, navigate }) {
  document.title = 'Tasks · AgentRuntime console';
  const params = Object.fromEntries(['target', 'app', 'queue', 'after', 'before', 'id', 'page'].map((n) => [n, search.get(n) ?? '']));
  params.status = search.getAll('status');
  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Tasks'), filters(params, navigate), results);
  return live('tasks', params, (view) => render(results, view, params), (error) => replace(results, problem(error)));
}

function filters(params, navigate) {
  const field = (name, label, attributes = {}) => h('div', { class: 'field' },
    h('label', { for: `filter-${name}` }, label),
    h('input', { id: `filter-${name}`, name, value: params[name], ...attributes }));
  const local = (iso) => {
    if (!iso) return '';
    const date = new Date(iso);
    return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const id = String(data.get('id') ?? '').trim();
    if (uuid.test(id)) { navigate(`/console/tasks/${id}`); return; }
    const next = new URLSearchParams();
    for (const s of data.getAll('status')) next.append('status', s);
    for (const name of ['target', 'app', 'queue', 'id']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    for (const name of ['after', 'before']) {
      const value = String(data.get(name) ?? '');
      if (value) next.set(name, new Date(value).toISOString());
    }
    const text = next.toString();
    navigate(`/console/tasks${text ? `?${text}` : ''}`);
  } },
  h('div', { class: 'field' },
    h('label', { for: 'filter-status' }, 'Status'),
    h('select', { id: 'filter-status', name: 'status', multiple: true, size: 3 },
      statuses.map((s) => h('option', { value: s, selected: params.status.includes(s) }, s)))),
  field('target', 'Agent or workflow'),
  field('app', 'App'),
  field('queue', 'Queue'),
  h('div', { class: 'field' }, h('label', { for: 'filter-after' }, 'Created after'),
    h('input', { id: 'filter-after', name: 'after', type: 'datetime-local', value: local(params.after) })),
  h('div', { class: 'field' }, h('label', { for: 'filter-before' }, 'Created before'),
    h('input', { id: 'filter-before', name: 'before', type: 'datetime-local', value: local(params.before) })),
  field('id', 'Task id', { placeholder: 'the id or its start', size: 20 }),
  h('button', { class: 'primary', type: 'submit' }, 'Filter'),
  h('a', { href: '/console/tasks' }, 'Clear'));
  return form;
}

function render(results, view, params) {
  const pageLink = (token) => {
    const next = new URLSearchParams(location.search);
    if (token) next.set('page', token); else next.delete('page');
    const text = next.toString();
    return `/console/tasks${text ? `?${text}` : ''}`;
  };
  replace(results,
    table(`Tasks, newest first${params.page ? ' (a later page)' : ''}`, [
      ['Task', (t) => taskLink(t.task_id)],
      ['Status', (t) => status(t.status)],
      ['Agent or workflow', (t) => [t.target, t.workflow ? ' ' : null, t.workflow ? h('span', { class: 'tag' }, 'workflow') : null]],
      ['App', (t) => t.app_name ?? '–'],
      ['Queue', (t) => t.queue],
      ['Attempts', (t) => t.attempts, { num: true }],
      ['Created', (t) => time(t.created_at)],
      ['Updated', (t) => time(t.updated_at)],
      ['Error', (t) => t.error ?? ''],
    ], view.tasks, view.next_page_token ? 'No task matched among the tasks looked at so far.' : 'No task matches.'),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      params.page ? h('a', { href: pageLink(null) }, 'Newest') : null,
      view.next_page_token ? h('a', { href: pageLink(view.next_page_token), rel: 'next' },
        view.tasks.length ? 'Older tasks' : 'Look further back') : null));
}
