using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.DurableRuns;

/// <summary>
/// context.AppendOutputAsync: chunks in the task's sequence, read in order with the attempt that
/// appended them, and followed live by TaskClient.WatchOutputAsync until the task ends.
/// </summary>
public sealed class StreamedOutputTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task Chunks_of_every_attempt_are_read_in_order_with_their_attempt_while_and_after_the_task_runs()
    {
        var counter = new RunCounter();
        var client = new TaskClient(db.DataSource);
        await _rt.RegisterAgentAsync("streams");
        var task = await client.SubmitAsync("streams", options: new SubmitOptions { MaxAttempts = 2, BackoffSeconds = 0 });
        // Following starts before a host runs the task: every chunk arrives through the watch.
        var watched = new List<OutputChunk>();
        var watching = Task.Run(async () =>
        {
            await foreach (var chunk in client.WatchOutputAsync(task.TaskId))
            {
                watched.Add(chunk);
            }
        });
        using var host = await DurableHost.StartAsync(db.ConnectionString, "streaming-host", counter, db.DataSource);

        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(60));
        await watching.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("completed", done.Status);
        (long, string, string, int, bool)[] expected =
        [
            (1, "answer", "\"Hel\"", 1, false),
            (2, "answer", "\"lo\"", 1, false),
            (3, "answer", "\"Hello\"", 2, false),
            (4, "answer", "\", world\"", 2, true),
            (5, "usage", """{"tokens":2}""", 2, true),
        ];
        var read = await client.ReadOutputAsync(task.TaskId);
        Assert.Equal(expected, read.Select(c => (c.Seq, c.Artifact, c.Chunk!.ToJsonString(), c.Attempt, c.Last)));
        Assert.Equal(expected, watched.Select(c => (c.Seq, c.Artifact, c.Chunk!.ToJsonString(), c.Attempt, c.Last)));
        Assert.Equal(["Hel", "lo", "Hello", ", world", null], read.Select(c => c.Text));
        Assert.Equal([4L, 5L], (await client.ReadOutputAsync(task.TaskId, afterSeq: 3)).Select(c => c.Seq));
        Assert.Equal([1L, 2L], (await client.ReadOutputAsync(task.TaskId, maxChunks: 2)).Select(c => c.Seq));
        await host.StopAsync();
    }

    [Fact]
    public async Task Appending_returns_the_sequence_number_and_a_finished_task_ends_the_watch_at_once()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        var claimed = await _rt.ClaimOneAsync("output-worker", agent);
        var context = claimed.Context;

        Assert.Equal(1L, await context.AppendOutputAsync("notes", "one"));
        Assert.Equal(2L, await context.AppendOutputAsync("table", new JsonArray(1, 2), last: true));
        await _rt.CompleteAsync(claimed.StepId, claimed.LeaseToken);

        var chunks = new List<OutputChunk>();
        await foreach (var chunk in new TaskClient(db.DataSource).WatchOutputAsync(task.TaskId, afterSeq: 1)
                           .WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            chunks.Add(chunk);
        }
        Assert.Equal([(2L, "[1,2]")], chunks.Select(c => (c.Seq, c.Chunk!.ToJsonString())));
        await Assert.ThrowsAsync<StaleLeaseException>(() => context.AppendOutputAsync("notes", "after the end"));
        Assert.Equal(2, (await new TaskClient(db.DataSource).ReadOutputAsync(task.TaskId)).Count);
    }

    [Fact]
    public async Task Reading_the_output_of_an_unknown_task_is_refused_as_not_found()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => new TaskClient(db.DataSource).ReadOutputAsync(Guid.NewGuid()));
        Assert.Equal("AR011", error.Code);
    }
}
