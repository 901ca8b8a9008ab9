using AgentRuntime.Client;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using static AgentRuntime.Tests.Memory.MemorySql;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// A completion's "memories" effect: memories of the task's user in the task's app, added in the
/// completing transaction with add_memory's checks; a bad element or too many refuse the whole
/// completion and write nothing.
/// </summary>
public sealed class MemoryEffectsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string Complete =
        "select agent_runtime.complete_step(step_id => $1, lease_token => $2, output => '{}', effects => $3::jsonb)";

    private readonly Runtime _rt = new(db.DataSource);
    private readonly LoginRoles _logins = new(db);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logins.DisposeAsync();

    private static JsonObject Memory(string text, float[] embedding, JsonObject? metadata = null)
    {
        var memory = new JsonObject { ["text"] = text, ["embedding"] = Embedding(embedding) };
        if (metadata is not null)
        {
            memory["metadata"] = metadata;
        }
        return memory;
    }

    private static JsonNode Embedding(float[] values) => JsonSerializer.SerializeToNode(values)!;

    private static string Memories(params JsonNode[] memories) =>
        new JsonObject { ["memories"] = new JsonArray([.. memories.Select(m => m.DeepClone())]) }.ToJsonString();

    /// <summary>A running step of a task of <paramref name="user"/> in app "mem".</summary>
    private async Task<(SubmittedTask Task, ClaimedStep Step)> RunningStepAsync(string user)
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: $$"""{"app_name":"mem","user_id":"{{user}}"}""");
        return (task, await _rt.ClaimOneAsync("w", agent));
    }

    private Task<long> MemoriesOfAsync(string user) =>
        _rt.ScalarAsync<long>("select count(*) from agent_runtime.memories where user_id = $1", user);

    [Fact]
    public async Task A_completion_adds_its_memories_to_the_tasks_user_with_its_state_in_one_transaction()
    {
        var user = $"u-{Guid.NewGuid():N}";
        var (task, step) = await RunningStepAsync(user);
        var effects = new JsonObject
        {
            ["state_delta"] = new JsonObject { ["noted"] = true },
            ["memories"] = new JsonArray(
                Memory("prefers window seats", Axis(0), new JsonObject { ["kind"] = "preference" }),
                Memory("lives in Porto", Axis(1)),
                new JsonObject { ["text"] = "works nights", ["embedding"] = Embedding(Axis(2)), ["metadata"] = null }),
        };

        Assert.Equal("completed", await _rt.ScalarAsync<string>(Complete, step.StepId, step.LeaseToken, effects.ToJsonString()));

        var stored = await _rt.RowsAsync(
            "select app_name, user_id, content, metadata::text, embedding::real[], id from agent_runtime.memories where user_id = $1 order by id",
            user);
        Assert.Equal(
            [("mem", user, "prefers window seats", """{"kind": "preference"}"""), ("mem", user, "lives in Porto", "{}"),
             ("mem", user, "works nights", "{}")],
            stored.Select(r => ((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!)));
        Assert.Equal(Axis(1), (float[])stored[1][4]!);
        Assert.Equal("prefers window seats", (await db.DataSource.SearchAsync("mem", user, Axis(0), k: 1))[0].Content);
        Assert.Equal("true", await _rt.ScalarAsync<string>(
            "select state -> 'noted' #>> '{}' from agent_runtime.sessions where id = $1", task.SessionId));
        var events = await _rt.RowsAsync(
            "select step_id, data ->> 'app_name', data ->> 'user_id', (data ->> 'memory_id')::bigint " +
            "from agent_runtime.events where type = 'memory.added' and task_id = $1 order by id", task.TaskId);
        Assert.Equal(stored.Select(r => (step.StepId, "mem", user, (long)r[5]!)),
            events.Select(e => ((long)e[0]!, (string)e[1]!, (string)e[2]!, (long)e[3]!)));
    }

    [Fact]
    public async Task A_worker_adds_memories_only_of_its_tasks_user_and_names_no_other()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent, options: """{"app_name":"helpdesk","user_id":"wu"}""");
        var (_, worker) = await _logins.CreateAsync("agent_runtime_worker");
        var claimed = Assert.Single(await worker.RowsAsync(
            "select step_id, lease_token from agent_runtime.claim_step(worker_id => 'w', agents => array[$1::text], max_steps => 1)", agent));

        foreach (var key in new[] { "app_name", "user_id" })
        {
            var elsewhere = Memory("meant for someone else", Axis(0));
            elsewhere[key] = "other";
            await worker.RefusedAsync(db.DataSource, "AR003", Complete, claimed[0], claimed[1], Memories(elsewhere));
        }
        Assert.Equal("completed", await worker.ScalarAsync<string>(Complete, claimed[0], claimed[1],
            Memories(Memory("prefers email", Axis(0)))));

        var stored = Assert.Single(await _rt.RowsAsync(
            "select app_name, user_id from agent_runtime.memories where content = 'prefers email'"));
        Assert.Equal(new object?[] { "helpdesk", "wu" }, stored);
    }

    public static TheoryData<string, string, string> BadMemories()
    {
        var good = Memory("fine", Axis(0)).ToJsonString();
        var zeros = JsonSerializer.Serialize(new float[Dimensions]);
        var tooLarge = JsonSerializer.Serialize(Enumerable.Repeat(1e300, Dimensions));
        var tooSmall = JsonSerializer.Serialize(Enumerable.Repeat(1e-50, Dimensions));
        var axis = JsonSerializer.Serialize(Axis(0));
        return new()
        {
            { """{"memories": {"text": "not a list"}}""", "AR001", "must be a JSON array" },
            { """{"memories": ["just text"]}""", "AR001", "memory 1 must be a JSON object" },
            { $$"""{"memories": [{{good}}, {"embedding": {{axis}}}]}""", "AR001", "memory 2 needs a \"text\" string" },
            { $$"""{"memories": [{"text": 7, "embedding": {{axis}}}]}""", "AR001", "needs a \"text\" string" },
            { $$"""{"memories": [{"text": "  ", "embedding": {{axis}}}]}""", "AR001", "\"text\" is required" },
            { $$"""{"memories": [{"text": "{{new string('x', 65537)}}", "embedding": {{axis}}}]}""", "AR002", "over the limit of 65536 bytes" },
            { """{"memories": [{"text": "x"}]}""", "AR001", "needs an \"embedding\" array of numbers" },
            { """{"memories": [{"text": "x", "embedding": [1, "2"]}]}""", "AR001", "needs an \"embedding\" array of numbers" },
            { """{"memories": [{"text": "x", "embedding": [1, 0, 0]}]}""", "AR092", "has 3 values, but memory embeddings have 256" },
            { """{"memories": [{"text": "x", "embedding": []}]}""", "AR092", "has 0 values" },
            { $$"""{"memories": [{"text": "x", "embedding": {{zeros}}}]}""", "AR001", "is all zeros" },
            { $$"""{"memories": [{"text": "x", "embedding": {{tooLarge}}}]}""", "AR001", "out of the range of single precision" },
            { $$"""{"memories": [{"text": "x", "embedding": {{tooSmall}}}]}""", "AR001", "out of the range of single precision" },
            { $$"""{"memories": [{"text": "x", "embedding": {{axis}}, "metadata": [1]}]}""", "AR001", "\"metadata\" must be a JSON object" },
            { $$$"""{"memories": [{"text": "x", "embedding": {{{axis}}}, "metadata": {"big": "{{{new string('m', 65536)}}}"}}]}""", "AR002", "\"metadata\" is" },
            { $$"""{"memories": [{"text": "x", "embedding": {{axis}}, "content": "x"}]}""", "AR003", "unknown keys of" },
        };
    }

    [Theory]
    [MemberData(nameof(BadMemories))]
    public async Task A_bad_memory_refuses_the_completion_and_nothing_is_written(string effects, string sqlState, string expected)
    {
        var (_, step) = await RunningStepAsync("bad");

        // FailsWithAsync also asserts that no table changed: no memory, no event, the step still running.
        var refused = await _rt.FailsWithAsync(sqlState, Complete, step.StepId, step.LeaseToken, effects);

        Assert.Contains(expected, refused.MessageText);
        Assert.Contains($"effects of step {step.StepId} ", refused.MessageText);
        Assert.Equal("running", await _rt.StepStatusAsync(step.StepId));
    }

    [Fact]
    public async Task Up_to_1000_memories_commit_with_one_completion_and_more_are_refused()
    {
        var (_, over) = await RunningStepAsync("many");
        var memories = Enumerable.Range(0, 1001).Select(i => (JsonNode)Memory($"fact {i}", Axis(i % Dimensions))).ToArray();

        var refused = await _rt.FailsWithAsync("AR002", Complete, over.StepId, over.LeaseToken, Memories(memories));
        Assert.Contains("1001 memories, over the limit of 1000", refused.MessageText);

        Assert.Equal("completed", await _rt.ScalarAsync<string>(Complete, over.StepId, over.LeaseToken, Memories(memories[..1000])));
        Assert.Equal(1000L, await MemoriesOfAsync("many"));

        var (_, none) = await RunningStepAsync("none");
        Assert.Equal("completed", await _rt.ScalarAsync<string>(Complete, none.StepId, none.LeaseToken, Memories()));
        Assert.Equal(0L, await MemoriesOfAsync("none"));
    }

    [Fact]
    public async Task The_memories_of_a_completion_that_is_not_applied_are_dropped()
    {
        var (_, step) = await RunningStepAsync("late");
        await _rt.CompleteAsync(step.StepId, step.LeaseToken);

        Assert.Equal("duplicate", await _rt.ScalarAsync<string>(Complete, step.StepId, step.LeaseToken,
            Memories(Memory("too late", Axis(0)))));
        Assert.Equal("stale_lease", await _rt.ScalarAsync<string>(
            "select outcome from agent_runtime.complete_steps(step_ids => array[$1::bigint], lease_tokens => array[$2::uuid], " +
            "outputs => array['{}'::jsonb], effects => array[$3::jsonb])",
            step.StepId, Guid.NewGuid(), Memories(Memory("not mine", Axis(0)))));

        Assert.Equal(0L, await MemoriesOfAsync("late"));
    }
}
