// /console/memory: a user's memories nearest to a text (?app=&user=&q=), embedded by the server's embedder.
import { get } from '../api.js';
import { h, replace, table, time, json, problem } from '../ui.js';

export default function memory({ main, search, navigate }) {
  document.title = 'Memory · AgentRuntime console';
  const values = { app: search.get('app') ?? '', user: search.get('user') ?? '', q: search.get('q') ?? '' };
  const results = h('div', { 'aria-live': 'polite' });
  const field = (name, label) => h('div', { class: 'field' }, h('label', { for: `memory-${name}` }, label),
    h('input', { id: `memory-${name}`, name, value: values[name], required: true }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search memory', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    navigate(`/console/memory?${new URLSearchParams({ app: data.get('app'), user: data.get('user'), q: data.get('q') })}`);
  } }, field('app', 'App'), field('user', 'User'), field('q', 'Search for'), h('button', { class: 'primary', type: 'submit' }, 'Search'));
  replace(main, h('h1', {}, 'Memory'), form, results);
  if (values.app && values.user && values.q) {
    replace(results, h('p', { class: 'muted' }, 'Searching…'));
    get('memory', values).then((matches) => replace(results, table(`Memories of ${values.user} in ${values.app}, best first`, [
      ['Score', (m) => m.score.toFixed(4), { num: true }],
      ['Memory', (m) => m.content],
      ['Metadata', (m) => json(m.metadata)],
      ['Added', (m) => time(m.created_at)],
    ], matches, 'No memory matches.')), (error) => replace(results, problem(error)));
  }
  return () => {};
}
