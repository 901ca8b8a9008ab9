using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.DurableRuns;

/// <summary>
/// context.RunStepAsync: a step's result is recorded as a checkpoint, and a later attempt of the
/// step gets it back without running it again, whatever ended the earlier run.
/// </summary>
public sealed class CheckpointedStepsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    [Fact]
    public async Task A_retry_after_a_failure_runs_only_the_step_the_failed_run_did_not_record()
    {
        var counter = new RunCounter();
        using var host = await DurableHost.StartAsync(db.ConnectionString, "checkpoint-fail-host", counter, db.DataSource);
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("two-steps", new JsonObject { ["between"] = "fail" },
            options: new SubmitOptions { MaxAttempts = 3, BackoffSeconds = 0 });
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(60));

        Assert.Equal("completed", done.Status);
        Assert.Equal(2, done.Attempts);
        Assert.Equal(2, counter.Count(task.TaskId, "run"));
        Assert.Equal(1, counter.Count(task.TaskId, "first"));
        Assert.Equal(1, counter.Count(task.TaskId, "second"));
        Assert.Equal("first by run 1", (string?)done.Output?["first"]);
        Assert.Equal(2, (int?)done.Output?["second_by_run"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_run_whose_lease_was_taken_away_is_refused_when_it_records_and_its_result_is_dropped()
    {
        var counter = new RunCounter();
        using var host = await DurableHost.StartAsync(db.ConnectionString, "checkpoint-lease-host", counter, db.DataSource);
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("two-steps", new JsonObject { ["between"] = "lose_lease" },
            options: new SubmitOptions { MaxAttempts = 3, BackoffSeconds = 0 });
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(60));

        // The first run ran its second step, but could not record it: the second run ran it again
        // and its result is the one the task kept; the first step ran once.
        Assert.Equal("completed", done.Status);
        Assert.Equal(2, counter.Count(task.TaskId, "run"));
        Assert.Equal(1, counter.Count(task.TaskId, "first"));
        Assert.Equal(2, counter.Count(task.TaskId, "second"));
        Assert.Equal("first by run 1", (string?)done.Output?["first"]);
        Assert.Equal(2, (int?)done.Output?["second_by_run"]);
        Assert.Equal(0L, await _rt.CountEventsAsync("step.failed", task.TaskId));
        await host.StopAsync();
    }

    [Fact]
    public async Task After_a_lease_expires_the_next_claim_gets_the_recorded_step_and_the_stale_run_cannot_record()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""");
        var stale = (await _rt.ClaimOneAsync("checkpoint-worker-1", agent)).Context;
        var runs = 0;
        Task<int> Work(CancellationToken _) => Task.FromResult(++runs);

        Assert.Equal(1, await stale.RunStepAsync("plan", Work, CancellationToken.None));
        await _rt.ExpireLeaseAsync(stale.StepId);
        var fresh = (await _rt.ClaimOneAsync("checkpoint-worker-2", agent)).Context;

        Assert.Equal(2, fresh.Attempt);
        Assert.Equal(1, await fresh.RunStepAsync("plan", Work, CancellationToken.None));
        Assert.Equal(1, runs);
        var refused = await Assert.ThrowsAsync<StaleLeaseException>(() => stale.RunStepAsync("act", Work, CancellationToken.None));
        Assert.Equal("AR020", refused.Code);
        Assert.Equal(3, await fresh.RunStepAsync("act", Work, CancellationToken.None));
        await Assert.ThrowsAsync<StaleLeaseException>(() => stale.AppendOutputAsync("answer", "late"));

        var checkpoints = await new StepClient(db.DataSource).GetCheckpointsAsync(fresh.StepId, fresh.LeaseToken, CancellationToken.None);
        Assert.Equal([("plan", "1", 1), ("act", "3", 2)], checkpoints.Select(c => (c.Name, c.Output!.ToJsonString(), c.Attempt)));
        Assert.Empty(await new TaskClient(db.DataSource).ReadOutputAsync(task.TaskId));
    }

    [Fact]
    public async Task The_first_recorded_result_of_a_name_is_what_every_later_call_gets()
    {
        var agent = await _rt.NewAgentAsync();
        await _rt.SubmitAsync(agent);
        var claimed = await _rt.ClaimOneAsync("checkpoint-worker", agent);
        var steps = new StepClient(db.DataSource);

        var saved = await steps.SaveCheckpointAsync(claimed.StepId, claimed.LeaseToken, "answer", new JsonObject { ["n"] = 1 }, CancellationToken.None);
        var again = await steps.SaveCheckpointAsync(claimed.StepId, claimed.LeaseToken, "answer", new JsonObject { ["n"] = 2 }, CancellationToken.None);
        var nothing = await steps.SaveCheckpointAsync(claimed.StepId, claimed.LeaseToken, "nothing", null, CancellationToken.None);

        Assert.Equal("""{"n":1}""", saved!.ToJsonString());
        Assert.Equal("""{"n":1}""", again!.ToJsonString());
        Assert.Null(nothing);
        // A context that has not read the checkpoints yet (as a retry's) gets the recorded result, and a
        // recorded null reads back as null without running the step.
        var context = claimed.Context;
        Assert.Equal(1, (await context.RunStepAsync("answer", _ => Task.FromResult(new Answer(3)), CancellationToken.None)).N);
        Assert.Null(await context.RunStepAsync<Answer?>("nothing", _ => throw new InvalidOperationException("ran"), CancellationToken.None));
    }

    private sealed record Answer(int N);
}
