// A Node.js client of AgentRuntime: plain SQL through `pg`, no AgentRuntime library.
// Submits a task, waits for its completion on the task-status channel (LISTEN, started before
// the submit so no notification can be missed), reads the A2A-shaped result, prints it as JSON.
// A notification carries only the task's tag (docs/sql-api.md, "NOTIFY channels"): the first 16
// hex digits of the SHA-256 of its id. It is a hint: the client reads the task to learn its status.
//   node submit-and-wait.mjs <target> '<input json>'
// Connection: the standard PG* environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
import { createHash } from "node:crypto";
import pg from "pg";

const [target, inputJson] = process.argv.slice(2);
if (!target || !inputJson) {
  console.error("usage: node submit-and-wait.mjs <target> '<input json>'");
  process.exit(2);
}
const finished = new Set(["completed", "failed", "canceled", "rejected"]);
const tagOf = (taskId) => createHash("sha256").update(taskId).digest("hex").slice(0, 16);
const client = new pg.Client();
const reader = new pg.Client();
await client.connect();
await reader.connect();
try {
  // Notifications can arrive before the submit's result (they come at commit): keep them all.
  const tags = [];
  let wake = () => {};
  client.on("notification", (message) => {
    tags.push(message.payload);
    wake();
  });
  await client.query("listen agent_runtime_task_status");

  const submitted = await client.query(
    "select task_id, session_id, status from agent_runtime.submit_task(target => $1, input => $2::jsonb)",
    [target, inputJson]);
  const taskId = submitted.rows[0].task_id;
  const tag = tagOf(taskId);
  const statuses = [];
  let read = 0;
  const done = new Promise((resolve, reject) => {
    let reading = false;
    wake = async () => {
      // One read at a time; a read that starts after the last notification sees its change.
      if (reading || read === tags.filter((t) => t === tag).length) return;
      reading = true;
      try {
        read = tags.filter((t) => t === tag).length;
        const { rows: [{ status }] } = await reader.query(
          "select status from agent_runtime.get_task(task_id => $1)", [taskId]);
        if (statuses.at(-1) !== status) statuses.push(status);
        if (finished.has(status)) return resolve();
      } catch (error) {
        return reject(error);
      } finally {
        reading = false;
      }
      wake();
    };
    wake();
  });

  const timeout = setTimeout(() => {
    console.error(`task ${taskId} did not finish within 60 s (statuses read: ${statuses.join(", ")})`);
    process.exit(1);
  }, 60_000);
  await done;
  clearTimeout(timeout);

  // The result as an A2A Task object (what an A2A server answers to tasks/get).
  const { rows: [{ task }] } = await client.query(
    "select agent_runtime.get_a2a_task(task_id => $1) as task", [taskId]);
  console.log(JSON.stringify({ task, statusesRead: statuses, notifications: tags.filter((t) => t === tag).length }));
  process.exit(task.status.state === "completed" ? 0 : 1);
} finally {
  await client.end();
  await reader.end();
}
