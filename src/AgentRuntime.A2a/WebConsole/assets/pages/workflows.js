// /console/workflows: every workflow with its versions, each version's DAG and definition.
import { live } from '../api.js';
import { h, replace, time, json, problem, link } from '../ui.js';
import { dag, definitionSteps } from '../dag.js';

export default function workflows({ main }) {
  document.title = 'Workflows · AgentRuntime console';
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Workflows'), body);
  return live('workflows', {}, (list) => render(body, list), (error) => replace(body, problem(error)));
}

function render(body, list) {
  if (!list.length) {
    replace(body, h('p', { class: 'muted' }, 'No workflow is defined: define_workflow in SQL, or agent-runtime workflows define <file.json>.'));
    return;
  }
  const names = [...new Set(list.map((w) => w.name))];
  replace(body, names.map((name) => {
    const versions = list.filter((w) => w.name === name);
    const newest = versions[0];
    const slug = name.replace(/[^A-Za-z0-9_-]/g, '-');
    return h('section', { class: 'panel', 'aria-labelledby': `wf-${slug}` },
      h('h2', { id: `wf-${slug}` }, name, ' ', h('span', { class: 'tag' }, `version ${newest.version}`)),
      newest.description ? h('p', {}, newest.description) : null,
      h('p', {}, link(`/console/tasks?target=${encodeURIComponent(name)}`, `Tasks of ${name}`)),
      versions.map((w, i) => h('details', { open: i === 0 },
        h('summary', {}, `Version ${w.version}, defined `, time(w.created_at)),
        dag(definitionSteps(w.definition), `The steps of workflow ${name}, version ${w.version}`),
        h('details', {}, h('summary', {}, 'Definition'), json(w.definition)))));
  }));
}
