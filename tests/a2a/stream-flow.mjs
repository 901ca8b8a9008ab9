// The official A2A JavaScript SDK (@a2a-js/sdk) streaming a task's output from `agent-runtime serve`:
//   node stream-flow.mjs <base url> <agent> <1.0|0.3> <handshake folder>
// The test that runs it is the worker: it appends the chunks (append_output) and completes the task.
// 1. sendMessageStream: every event until the stream ends.
// 2. sendMessageStream again, left after three chunks (the file "disconnected" says which task and
//    the last sequence seen); once the worker wrote "appended" (chunks committed meanwhile), the
//    client resubscribes (resubscribeTask: SubscribeToTask / tasks/resubscribe), writes
//    "resubscribed" at its first event, and reads to the end.
// Prints what it saw as JSON: per event its kind (task, status, chunk of the streamed output, or
// artifact: one GetTask lists), and for chunks seq, attempt, append, lastChunk and text; the test
// checks it.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Role, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";

const [base, agent, version, folder] = process.argv.slice(2);
if (!base || !agent || !["1.0", "0.3"].includes(version) || !folder) {
  console.error("usage: node stream-flow.mjs <base url> <agent> <1.0|0.3> <handshake folder>");
  process.exit(2);
}

const compat = version === "0.3" ? { legacyCompat: { enabled: true } } : {};
const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
  transports: [new JsonRpcTransportFactory({ ...compat })],
  cardResolver: new DefaultAgentCardResolver({ ...compat }),
}));

async function client() {
  if (version === "1.0") {
    return factory.createFromUrl(`${base}/agents/${agent}/`);
  }
  const response = await fetch(`${base}/agents/${agent}/.well-known/agent-card.json`);
  return factory.createFromAgentCard(await response.json());
}

const signal = (name, content = {}) => writeFileSync(join(folder, name), JSON.stringify(content));

async function waitFor(name) {
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(folder, name))) {
    if (Date.now() > deadline) {
      throw new Error(`the worker did not write ${name} in 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const stateName = (state) => Object.keys(TaskState).find((k) => TaskState[k] === state);

/** An event as the test reads it. */
function seen({ $case, value }) {
  switch ($case) {
    case "artifactUpdate": {
      const part = value.artifact.parts[0].content;
      if (!value.artifact.artifactId.includes("/output/")) {
        // An artifact GetTask lists (the task's output, an artifact made of an output's last chunk).
        return { kind: "artifact", artifactId: value.artifact.artifactId, text: part.$case === "text" ? part.value : undefined };
      }
      return {
        kind: "chunk", taskId: value.taskId, artifactId: value.artifact.artifactId, name: value.artifact.name,
        seq: Number(value.metadata?.seq), attempt: Number(value.metadata?.attempt), append: value.append,
        lastChunk: value.lastChunk, text: part.$case === "text" ? part.value : undefined,
      };
    }
    case "statusUpdate":
      return { kind: "status", state: stateName(value.status.state) };
    case "task":
      return { kind: "task", id: value.id, state: stateName(value.status.state) };
    default:
      return { kind: $case };
  }
}

const message = () => ({ messageId: randomUUID(), role: Role.ROLE_USER, parts: [{ content: { $case: "text", value: "stream to me" } }] });
const a2a = await client();

// 1. The whole stream.
const whole = [];
for await (const event of a2a.sendMessageStream({ message: message() })) {
  whole.push(seen(event.payload));
}

// 2. Leave after three chunks, resubscribe once the worker appended more.
const first = [];
for await (const event of a2a.sendMessageStream({ message: message() })) {
  first.push(seen(event.payload));
  if (first.filter((e) => e.kind === "chunk").length === 3) {
    break;
  }
}
const taskId = first[0].id;
const lastSeq = Math.max(...first.filter((e) => e.kind === "chunk").map((e) => e.seq));
signal("disconnected", { taskId, lastSeq });
await waitFor("appended");
const resumed = [];
for await (const event of a2a.resubscribeTask({ id: taskId })) {
  if (resumed.length === 0) {
    signal("resubscribed");
  }
  resumed.push(seen(event.payload));
}

console.log(JSON.stringify({ version, whole, first, taskId, lastSeq, resumed }));
