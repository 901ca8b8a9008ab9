using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Agents;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;
using static AgentRuntime.Tests.EndToEnd.EndToEnd;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>
/// The llm agent's tool loop in real hosts against a loopback stub of an OpenAI-compatible endpoint
/// (streamed chunks, tool calls, usage), which also serves the tool: an HTTP agent the model calls.
/// </summary>
public sealed class DurableLlmLoopTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string ModelPath = "/v1/chat/completions";
    private const string ToolPath = "/tool";

    private static Dictionary<string, string> Host(string connectionString, string workerId, StubHttpServer stub)
    {
        var environment = HostEnvironment(connectionString, workerId, leaseSeconds: 3, concurrency: 2);
        environment["AGENT_RUNTIME_Agents__Llm__0__Name"] = "planner";
        environment["AGENT_RUNTIME_Agents__Llm__0__Endpoint"] = new Uri(stub.BaseUri, "v1").ToString();
        environment["AGENT_RUNTIME_Agents__Llm__0__Model"] = "gpt-4o-mini";
        environment["AGENT_RUNTIME_Agents__Llm__0__Prompt"] = "Plan: {{input.text}}";
        environment["AGENT_RUNTIME_Agents__Llm__0__Tools__0"] = "lookup";
        environment["AGENT_RUNTIME_Agents__Http__0__Name"] = "lookup";
        environment["AGENT_RUNTIME_Agents__Http__0__Url"] = new Uri(stub.BaseUri, ToolPath.TrimStart('/')).ToString();
        environment["AGENT_RUNTIME_Agents__Http__0__Description"] = "Looks a word up.";
        return environment;
    }

    private static StubToolCall Lookup(string id, string word) => new(id, "lookup", new JsonObject { ["word"] = word });

    [Fact]
    public async Task A_host_killed_after_the_second_model_call_leaves_the_rest_to_another_that_makes_only_the_third()
    {
        var modelCalls = 0;
        var lookups = new ConcurrentQueue<string>();
        var secondLookupArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<StubResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        StubResponse[] model =
        [
            ChatStream.ToolCalls([Lookup("call_1", "one")], inputTokens: 11, outputTokens: 3),
            ChatStream.ToolCalls([Lookup("call_2", "two")], inputTokens: 12, outputTokens: 4),
            ChatStream.Reply("Both words are known.", inputTokens: 13, outputTokens: 5),
        ];
        await using var stub = new StubHttpServer(request =>
        {
            if (request.Path == ModelPath)
            {
                var call = Interlocked.Increment(ref modelCalls);
                return Task.FromResult(call <= model.Length ? model[call - 1] : new StubResponse(500, "more model calls than planned"));
            }

            var word = (string)JsonNode.Parse(request.Body)!["word"]!;
            lookups.Enqueue(word);
            if (word == "two" && secondLookupArrived.TrySetResult())
            {
                // The first host's second tool call never returns: the host dies while it waits.
                return never.Task;
            }

            return Task.FromResult(new StubResponse(200, new JsonObject { ["word"] = word, ["meaning"] = $"the number {word}" }.ToJsonString()));
        });

        var task = Guid.Empty;
        await using (var doomed = await StartHostAsync(Host(db.ConnectionString, "doomed", stub), output))
        {
            task = (await SubmitAsync(db.DataSource, "select 'planner' as target, '{\"text\": \"two words\"}'::jsonb as input"))[0];
            await secondLookupArrived.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(["model:1", "tool:1:lookup", "model:2"], await CheckpointsAsync(task));
            doomed.KillHard();
        }

        await using var survivor = await StartHostAsync(Host(db.ConnectionString, "survivor", stub), output);
        await WaitForTasksAsync(db.DataSource, [task], "completed", TimeSpan.FromSeconds(90));

        Assert.Equal(3, modelCalls);
        // The tool call under way when the host died runs again; the recorded one does not.
        Assert.Equal(["one", "two", "two"], lookups);
        var modelRequests = stub.Requests.Where(r => r.Path == ModelPath).ToArray();
        var resumed = ChatStream.Messages(modelRequests[2]);
        Assert.Equal(["user", "assistant", "tool", "assistant", "tool"], resumed.Select(m => (string)m!["role"]!));
        Assert.Equal("the number one", (string)JsonNode.Parse((string)resumed[2]!["content"]!)!["meaning"]!);
        Assert.Equal("the number two", (string)JsonNode.Parse((string)resumed[4]!["content"]!)!["meaning"]!);

        var details = JsonNode.Parse((await db.DataSource.ScalarAsync<string>(
            "select to_jsonb(t)::text from agent_runtime.get_task($1) t", task))!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"text": "Both words are known.", "model": "stub-model-2026", "finish_reason": "stop", "usage": {"input_tokens": 36, "output_tokens": 12}}
            """), details["output"]));
        var usage = details["usage"]!;
        Assert.Equal(3, (int)usage["calls"]!);
        Assert.Equal(11 + 12 + 13, (int)usage["input_tokens"]!);
        Assert.Equal(3 + 4 + 5, (int)usage["output_tokens"]!);
        Assert.Equal(["stub-model-2026"], usage["models"]!.AsArray().Select(m => (string)m!["model"]!));
        Assert.Equal(["model:1", "tool:1:lookup", "model:2", "tool:2:lookup", "model:3"], await CheckpointsAsync(task));

        // The answer streamed by the second host's attempt, closed by its last chunk.
        var chunks = await db.DataSource.RowsAsync(
            "select chunk #>> '{}', attempt, last from agent_runtime.read_output($1) where artifact = 'response' order by seq", task);
        var answer = chunks.Where(c => (int)c[1]! == 2).ToList();
        Assert.Equal("Both words are known.", string.Concat(answer.Select(c => (string)c[0]!)));
        Assert.True((bool)answer[^1][2]!);
        Assert.Single(chunks, c => (bool)c[2]!);
    }

    [Fact]
    public async Task A_task_whose_model_call_passes_its_max_tokens_fails_with_the_budgets_code()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("A long answer.", inputTokens: 100, outputTokens: 50));
        await using var host = await StartHostAsync(Host(db.ConnectionString, "budget", stub), output);

        var task = (Guid)(await db.DataSource.ScalarAsync<Guid>(
            "select (agent_runtime.submit_task('planner', '{\"text\": \"x\"}'::jsonb, options => '{\"max_tokens\": 100}'::jsonb)).task_id"))!;
        await WaitForTasksAsync(db.DataSource, [task], "failed", TimeSpan.FromSeconds(60));

        var error = JsonNode.Parse((await db.DataSource.ScalarAsync<string>("select error::text from agent_runtime.tasks where id = $1", task))!)!;
        Assert.Equal("token_budget_exceeded", (string)error["code"]!);
        Assert.Equal("AR100", (string)error["sqlstate"]!);
        Assert.Equal(150, (int)error["task_tokens"]!);
        Assert.Single(stub.Requests);
        Assert.Equal(1, await db.DataSource.ScalarAsync<int>("select attempt from agent_runtime.steps where task_id = $1", task));
    }

    private async Task<string[]> CheckpointsAsync(Guid task)
    {
        var rows = await db.DataSource.RowsAsync(
            "select name from agent_runtime.step_checkpoints where task_id = $1 order by created_at, name", task);
        return [.. rows.Select(r => (string)r[0]!)];
    }
}
