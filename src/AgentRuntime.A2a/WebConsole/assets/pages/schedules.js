// /console/schedules: cron schedules with their next fire time, last run, and pause or resume.
import { live, post } from '../api.js';
import { h, replace, table, time, status, link, problem, notice, taskLink } from '../ui.js';

export default function schedules({ main, me }) {
  document.title = 'Schedules · AgentRuntime console';
  const messages = h('div', { 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Schedules'), messages, body);
  const toggle = async (s) => {
    try {
      await post(s.paused ? 'schedules/resume' : 'schedules/pause', { app_name: s.app_name, name: s.name });
      replace(messages, notice(`Schedule ${s.name} ${s.paused ? 'resumed' : 'paused'}.`));
    } catch (error) {
      replace(messages, problem(error));
    }
  };
  return live('schedules', {}, (list) => replace(body, table('Cron schedules', [
    ['App', (s) => s.app_name],
    ['Schedule', (s) => s.name],
    ['Cron', (s) => h('code', {}, s.cron)],
    ['Time zone', (s) => s.timezone],
    ['Target', (s) => s.target],
    ['Next fire', (s) => s.paused ? status('paused') : time(s.next_fire_at)],
    ['Last fire', (s) => time(s.last_fire_at)],
    ['Last run', (s) => s.last_task_id ? [taskLink(s.last_task_id), ' ', status(s.last_status ?? 'unknown')] : '–'],
    ...(me.pause_schedule ? [['Action', (s) => h('button', { type: 'button', onclick: () => toggle(s) },
      `${s.paused ? 'Resume' : 'Pause'} ${s.name}`)]] : []),
  ], list, 'No schedules: schedule_task in SQL creates one.')), (error) => replace(body, problem(error)));
}
