// /console/tasks/<task_id>: a task as the caller may see it, updated live: its status word (as the
// API names it), actions the caller's role may take, the workflow's DAG with each step's status,
// steps, input and output, streamed output, artifacts, session, and the event timeline.
import { live, get, post, download, ApiError } from '../api.js';
import { h, replace, table, status, time, json, link, problem, notice, taskLink } from '../ui.js';
import { dag, taskSteps } from '../dag.js';

const finished = ['completed', 'failed', 'canceled', 'rejected'];

export default function task({ main, params, me }) {
  const [id] = params;
  document.title = `Task ${id} · AgentRuntime console`;
  const heading = h('h1', {}, 'Task');
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const messages = h('div', { 'aria-live': 'polite' });
  const session = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, heading, messages, body);
  let lastStatus = null;
  const act = async (what, path, payload) => {
    try {
      await post(path, payload);
      replace(messages, notice(`${what}: done.`));
    } catch (error) {
      replace(messages, problem(error));
    }
  };
  const loadSession = async () => {
    try {
      renderSession(session, await get(`tasks/${id}/session`), id);
    } catch (error) {
      replace(session, problem(error));
    }
  };
  return live('task', { id }, (view) => {
    const t = view.task;
    replace(heading, 'Task ', h('span', { id: 'task-status', class: `status ${t.status}` }, t.status));
    render(body, view, me, act, session);
    if (t.status !== lastStatus) {
      lastStatus = t.status;
      loadSession();
    }
  }, (error) => {
    if (error instanceof ApiError && error.status === 404) {
      document.title = 'Task not found · AgentRuntime console';
      replace(heading, 'Task not found');
      replace(body, h('p', { id: 'task-missing' }, `Task ${id}: not found. It does not exist, or it is not in your apps.`));
    } else {
      replace(body, problem(error));
    }
  });
}

function render(body, view, me, act, session) {
  const t = view.task;
  const open = !finished.includes(t.status);
  const actions = h('div', { class: 'actions' },
    me.cancel && open ? h('button', { class: 'danger', type: 'button', onclick: () => act('Cancel', `tasks/${t.task_id}/cancel`) }, 'Cancel task') : null,
    me.retry && (t.status === 'failed' || t.status === 'canceled')
      ? h('button', { class: 'primary', type: 'button', onclick: () => act('Retry', `tasks/${t.task_id}/retry`) }, 'Retry task') : null);
  const workflow = view.workflow;
  replace(body,
    actions.childElementCount ? actions : null,
    h('section', { 'aria-labelledby': 'about-title' },
      h('h2', { id: 'about-title' }, 'About'),
      h('dl', { class: 'fields' },
        field('Id', h('span', { class: 'mono' }, t.task_id)),
        field('Status', t.status),
        field('Target', workflow ? `${t.target} (workflow, version ${t.workflow_version})` : `${t.target} (agent)`),
        field('App / user', `${t.app_name ?? '–'} / ${t.user_id ?? '–'}`),
        field('Session', h('span', { class: 'mono' }, t.session_id)),
        field('Queue, priority', `${t.queue}, ${t.priority}`),
        field('Attempts', `${t.attempts} of ${t.max_attempts}`),
        field('Created', time(t.created_at)),
        field('Updated', time(t.updated_at)),
        t.completed_at ? field('Finished', time(t.completed_at)) : null,
        t.cancel_reason ? field('Cancel reason', t.cancel_reason) : null,
        t.parent_step_id ? field('Spawned by step', String(t.parent_step_id)) : null,
        t.status_message ? field('Waiting for', JSON.stringify(t.status_message)) : null)),
    workflow ? h('section', { 'aria-labelledby': 'dag-title' },
      h('h2', { id: 'dag-title' }, 'Workflow'),
      dag(taskSteps(t.steps), `The steps of workflow ${t.target} and their status`)) : null,
    h('section', { 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, 'Steps'),
      table('Steps', [
        ['Step', (s) => s.key],
        ['Agent', (s) => s.agent ?? '–'],
        ['Status', (s) => [status(s.status), s.wait_reason ? ` ${s.wait_reason}` : '']],
        ['Attempt', (s) => `${s.attempt} / ${s.max_attempts}`, { num: true }],
        ['Worker', (s) => s.leased_by ?? '–'],
        ['Started', (s) => time(s.started_at)],
        ['Finished', (s) => time(s.completed_at)],
        ['Error', (s) => s.error?.message ?? (s.error ? JSON.stringify(s.error) : '')],
        ...(me.requeue && open ? [['Action', (s) => ['ready', 'running'].includes(s.status)
          ? h('button', { type: 'button', onclick: () => act(`Requeue ${s.key}`, `tasks/${t.task_id}/steps/${s.step_id}/requeue`) }, `Requeue ${s.key}`)
          : '']] : []),
      ], t.steps)),
    t.children?.length ? h('section', { 'aria-labelledby': 'children-title' },
      h('h2', { id: 'children-title' }, 'Child tasks'),
      table('Tasks spawned by its steps', [
        ['Task', (c) => taskLink(c.task_id)],
        ['Target', (c) => c.target],
        ['Status', (c) => status(c.status)],
      ], t.children)) : null,
    h('div', { class: 'grid' },
      h('section', { 'aria-labelledby': 'input-title' }, h('h2', { id: 'input-title' }, 'Input'), json(t.input)),
      h('section', { 'aria-labelledby': 'output-title' },
        h('h2', { id: 'output-title' }, t.error ? 'Error' : 'Output'),
        t.error ? json(t.error) : (t.output === null ? h('p', { class: 'muted' }, 'No output yet.') : json(t.output)))),
    // STREAMED OUTPUT: to be wired to read_output(task_id, after_seq, max_chunks) once append_output
    // and read_output exist in the SQL API; until then the section says so and shows nothing else.
    h('section', { 'aria-labelledby': 'stream-title', id: 'streamed-output' },
      h('h2', { id: 'stream-title' }, 'Streamed output'),
      h('p', { class: 'stream-placeholder' }, 'No streamed output.')),
    session,
    h('section', { 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      table('Events of the task, oldest first', [
        ['At', (e) => time(e.at)],
        ['Event', (e) => e.type],
        ['Step', (e) => e.step_key ?? ''],
        ['Worker', (e) => e.worker_id ?? ''],
        ['Detail', (e) => h('span', { class: 'mono' }, e.detail ?? '')],
      ], view.timeline, 'No events.')));
}

function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function renderSession(element, view, taskId) {
  const save = async (filename, version, mime) => {
    const blob = await download(`tasks/${taskId}/artifacts/${encodeURIComponent(filename)}?version=${version}`);
    const a = h('a', { href: URL.createObjectURL(new Blob([blob], { type: mime })), download: filename.replace(/^user:/, '') });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  const s = view.session;
  replace(element,
    h('section', { 'aria-labelledby': 'artifacts-title' },
      h('h2', { id: 'artifacts-title' }, 'Artifacts'),
      table('Artifacts of the task\'s session', [
        ['File', (a) => a.filename],
        ['Versions', (a) => a.versions.length, { num: true }],
        ['Newest', (a) => `${a.versions[0].mime_type}, ${a.versions[0].size_bytes} bytes`],
        ['Saved', (a) => time(a.versions[0].created_at)],
        ['Download', (a) => h('button', { type: 'button', onclick: () => save(a.filename, a.versions[0].version, a.versions[0].mime_type) },
          `Download ${a.filename}`)],
      ], view.artifacts, 'No artifacts.')),
    h('section', { 'aria-labelledby': 'session-title' },
      h('h2', { id: 'session-title' }, 'Session'),
      h('div', { class: 'grid' },
        h('div', {}, h('h3', {}, 'State'), json(s?.state ?? {})),
        h('div', {}, h('h3', {}, 'Recent events'),
          table('Newest events of the session', [
            ['#', (e) => e.sequence, { num: true }],
            ['Author', (e) => e.author ?? ''],
            ['Content', (e) => (e.content?.parts ?? []).map((p) => p.text ?? JSON.stringify(p)).join(' ')],
          ], s?.events ?? [], 'No events.')))),
    h('section', { 'aria-labelledby': 'usage-title' },
      // USAGE AND CHECKPOINTS: to be wired once the SQL API records model usage per step attempt
      // and checkpoints (save_checkpoint/get_checkpoints); until then the section says so.
      h('h2', { id: 'usage-title' }, 'Usage and checkpoints'),
      h('p', { class: 'stream-placeholder' }, 'No usage or checkpoints recorded.')));
}
