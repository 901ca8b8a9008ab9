// A Node.js client of AgentRuntime: plain SQL through `pg`, no AgentRuntime library.
// Submits a task, waits for its completion on the task-status channel (LISTEN, started before
// the submit so no notification can be missed), reads the A2A-shaped result, prints it as JSON.
//   node submit-and-wait.mjs <target> '<input json>'
// Connection: the standard PG* environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
import pg from "pg";

const [target, inputJson] = process.argv.slice(2);
if (!target || !inputJson) {
  console.error("usage: node submit-and-wait.mjs <target> '<input json>'");
  process.exit(2);
}
const finished = new Set(["completed", "failed", "canceled", "rejected"]);
const client = new pg.Client();
await client.connect();
try {
  // Notifications can arrive before the submit's result (they come at commit): keep them all.
  const seen = [];
  let taskId;
  let wake = () => {};
  client.on("notification", (message) => {
    seen.push(JSON.parse(message.payload));
    wake();
  });
  await client.query("listen agent_runtime_task_status");

  const submitted = await client.query(
    "select task_id, session_id, status from agent_runtime.submit_task(target => $1, input => $2::jsonb)",
    [target, inputJson]);
  taskId = submitted.rows[0].task_id;
  const statuses = () => seen.filter((n) => n.task_id === taskId).map((n) => n.status);
  const done = new Promise((resolve) => {
    wake = () => statuses().some((s) => finished.has(s)) && resolve();
    wake();
  });

  const timeout = setTimeout(() => {
    console.error(`task ${taskId} did not finish within 60 s (statuses seen: ${statuses().join(", ")})`);
    process.exit(1);
  }, 60_000);
  await done;
  clearTimeout(timeout);

  // The result as an A2A Task object (what an A2A server answers to tasks/get).
  const { rows: [{ task }] } = await client.query(
    "select agent_runtime.get_a2a_task(task_id => $1) as task", [taskId]);
  console.log(JSON.stringify({ task, statusesSeen: statuses() }));
  process.exit(task.status.state === "completed" ? 0 : 1);
} finally {
  await client.end();
}
