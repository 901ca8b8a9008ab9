// The console's shell: finds the page the URL names, draws it into <main>, follows links
// without reloading, and asks for an API key when the server wants one.
import { get, keyStore, whenUnauthorized, ApiError } from './api.js';
import { h, replace, problem } from './ui.js';
import overview from './pages/overview.js';
import tasks from './pages/tasks.js';
import task from './pages/task.js';
import workflows from './pages/workflows.js';
import schedules from './pages/schedules.js';
import queues from './pages/queues.js';
import failures from './pages/failures.js';
import memory from './pages/memory.js';

const routes = [
  [/^\/console\/?$/, overview, '/console'],
  [/^\/console\/tasks\/?$/, tasks, '/console/tasks'],
  [/^\/console\/tasks\/([^/]+)$/, task, '/console/tasks'],
  [/^\/console\/workflows\/?$/, workflows, '/console/workflows'],
  [/^\/console\/schedules\/?$/, schedules, '/console/schedules'],
  [/^\/console\/queues\/?$/, queues, '/console/queues'],
  [/^\/console\/failures\/?$/, failures, '/console/failures'],
  [/^\/console\/memory\/?$/, memory, '/console/memory'],
];

const main = document.getElementById('main');
let leave = () => {};
let me = null;

export function navigate(url, { replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  show();
}

async function show() {
  leave();
  leave = () => {};
  const path = location.pathname;
  const route = routes.find(([pattern]) => pattern.test(path));
  for (const a of document.querySelectorAll('header nav a')) {
    if (route && a.getAttribute('href') === route[2]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) {
    document.title = 'Not found · AgentRuntime console';
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No console page has this address.'));
    return;
  }
  try {
    me ??= await get('me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // the key form is showing
    replace(main, h('h1', {}, 'AgentRuntime console'), problem(error));
    return;
  }
  showWho();
  const [, page] = route;
  const params = path.match(route[0]).slice(1).map(decodeURIComponent);
  replace(main);
  leave = page({ main, params, me, navigate, search: new URLSearchParams(location.search) }) ?? (() => {});
}

function showWho() {
  const who = document.getElementById('who');
  replace(who, h('span', {}, `role ${me.role}`),
    keyStore.get() ? h('button', { type: 'button', onclick: () => { keyStore.clear(); me = null; askForKey(); } }, 'Forget key') : null);
}

function askForKey(error) {
  leave();
  leave = () => {};
  me = null;
  document.title = 'API key · AgentRuntime console';
  replace(document.getElementById('who'));
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  replace(main,
    h('h1', {}, 'API key'),
    h('form', { class: 'keyform', onsubmit: (event) => {
      event.preventDefault();
      keyStore.set(input.value.trim());
      show();
    } },
      h('p', {}, 'This console acts as the PostgreSQL role of an API key, like the A2A endpoint. ' +
        'The key stays in this browser tab until you close it.'),
      error && keyStore.get() ? problem(error) : null,
      h('label', { for: 'api-key' }, 'Key'),
      input,
      h('button', { class: 'primary', type: 'submit' }, 'Continue')));
  input.focus();
}

whenUnauthorized((error) => askForKey(error));

document.addEventListener('click', (event) => {
  const a = event.target.closest('a');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
  main.focus();
});
window.addEventListener('popstate', show);
show();
