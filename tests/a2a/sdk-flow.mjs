// The official A2A JavaScript SDK (@a2a-js/sdk, a client nobody here wrote) against `agent-runtime serve`:
//   node sdk-flow.mjs <base url> <1.0|0.3> [api key]
// 1.0: ClientFactory.createFromUrl on the agents' card URLs (A2A 1.0 JSON-RPC).
// 0.3: the SDK's v0.3 compat client (legacyCompat), built from the cards a 0.3 client fetches.
// Flow: summarize a text (blocking SendMessage, completed with its artifact); stream a task that asks
// for input (echo with "ask": an input-required update arrives), answer it in the same context,
// get the completed task with its artifact; start another task, get it, cancel it, fail to cancel it
// again; get an unknown task. Prints what it saw as JSON; any unexpected answer fails the run.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Role, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";

const [base, version, apiKey] = process.argv.slice(2);
if (!base || !["1.0", "0.3"].includes(version)) {
  console.error("usage: node sdk-flow.mjs <base url> <1.0|0.3> [api key]");
  process.exit(2);
}

// The API key travels as a bearer token on every request, the card's included.
const fetchImpl = (url, init = {}) =>
  fetch(url, apiKey ? { ...init, headers: { ...init.headers, Authorization: `Bearer ${apiKey}` } } : init);
const compat = version === "0.3" ? { legacyCompat: { enabled: true } } : {};
const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
  transports: [new JsonRpcTransportFactory({ fetchImpl, ...compat })],
  cardResolver: new DefaultAgentCardResolver({ fetchImpl, ...compat }),
}));

async function clientFor(agent) {
  if (version === "1.0") {
    return factory.createFromUrl(`${base}/agents/${agent}/`);
  }
  // A 0.3 client sends no A2A-Version header and gets the 0.3 card.
  const response = await fetchImpl(`${base}/agents/${agent}/.well-known/agent-card.json`);
  assert.equal(response.status, 200, `card of ${agent}`);
  return factory.createFromAgentCard(await response.json());
}

const message = (parts, extra = {}) => ({ messageId: randomUUID(), role: Role.ROLE_USER, parts, ...extra });
const text = (value) => ({ content: { $case: "text", value } });
const data = (value) => ({ content: { $case: "data", value } });
const stateName = (state) => Object.keys(TaskState).find((k) => TaskState[k] === state);
const artifactData = (task) => task.artifacts[0].parts[0].content.value;
const seen = { version };

// 1. summarize, blocking.
const summarize = await clientFor("summarize");
seen.protocolVersion = summarize.protocolVersion;
assert.equal(summarize.protocolVersion, version);
const summary = await summarize.sendMessage({
  message: message([text("PostgreSQL is the runtime. Agents are functions. Every transition is a SQL call.")]),
});
assert.equal(stateName(summary.status.state), "TASK_STATE_COMPLETED");
seen.summary = artifactData(summary).summary;
assert.match(seen.summary, /PostgreSQL is the runtime/);

// 2. a task that asks for input, streamed.
const echo = await clientFor("echo");
const asked = [];
for await (const event of echo.sendMessageStream({ message: message([data({ ask: "Which city?" })]) })) {
  asked.push(event.payload);
}
seen.askedEvents = asked.map((p) => p.$case === "statusUpdate" ? `statusUpdate:${stateName(p.value.status.state)}` : p.$case);
assert.equal(asked[0].$case, "task");
// The last event is a status update to input-required, or, when the worker asked before the
// stream began, the first (and only) event: the task, already input-required.
const inputRequired = asked.at(-1);
assert.ok(inputRequired.$case === "statusUpdate" || asked.length === 1, `ends with ${inputRequired.$case}`);
assert.equal(stateName(inputRequired.value.status.state), "TASK_STATE_INPUT_REQUIRED");
seen.question = inputRequired.value.status.message.parts[0].content.value.question;
assert.equal(seen.question, "Which city?");
const taskId = inputRequired.$case === "task" ? inputRequired.value.id : inputRequired.value.taskId;
const { contextId } = inputRequired.value;

// 3. the answer, in the same context: the task completes with its artifact.
const answered = await echo.sendMessage({ message: message([text("Paris")], { taskId, contextId }) });
assert.equal(answered.id, taskId);
assert.equal(answered.contextId, contextId);
assert.equal(stateName(answered.status.state), "TASK_STATE_COMPLETED");
seen.answer = artifactData(answered);
assert.deepEqual(seen.answer, { question: "Which city?", answer: "Paris" });
const history = (await echo.getTask({ id: taskId, historyLength: 10 })).history;
seen.history = history.map((m) => m.role === Role.ROLE_USER ? "user" : "agent");

// 4. another task: get it, cancel it, cancel it again, and a task that does not exist.
const slow = await echo.sendMessage({
  message: message([data({ delay_ms: 60000 })]),
  configuration: { returnImmediately: true, acceptedOutputModes: [] },
});
assert.ok(["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"].includes(stateName(slow.status.state)));
const got = await echo.getTask({ id: slow.id, historyLength: 0 });
assert.equal(got.id, slow.id);
const canceled = await echo.cancelTask({ id: slow.id });
seen.canceled = stateName(canceled.status.state);
assert.equal(seen.canceled, "TASK_STATE_CANCELED");
seen.cancelAgain = await echo.cancelTask({ id: slow.id }).then(() => "accepted", (e) => e.name);
assert.equal(seen.cancelAgain, "TaskNotCancelableError");
seen.unknownTask = await echo.getTask({ id: randomUUID() }).then(() => "found", (e) => e.name);
assert.equal(seen.unknownTask, "TaskNotFoundError");

console.log(JSON.stringify(seen));
