using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Races;

/// <summary>
/// Pairs of calls that race on one task, run in every interleaving (Interleavings): the end state
/// is the one the documented semantics allow, no deadlock reaches a caller, and
/// check_invariants() finds nothing. A cancel is never lost whatever it races.
/// </summary>
public sealed class RaceTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const string Deadlock = "40P01";
    private readonly Runtime _rt = new(db.DataSource);

    private static RaceStep A(string sql) => new("a", sql);

    private static RaceStep B(string sql) => new("b", sql);

    private async Task<int> RunAllAsync(
        Func<Task<(IReadOnlyList<RaceStep> A, IReadOnlyList<RaceStep> B)>> setUp,
        Func<IReadOnlyList<RaceResult>, Task> check)
    {
        var count = 0;
        var (a, b) = await setUp();
        // The orders as sequences of sessions; each order runs on a fresh set-up of its own.
        var orders = Interleavings.Of(a, b).Select(o => o.Select(s => s.Session).ToList()).ToList();
        foreach (var order in orders)
        {
            var (sa, sb) = count == 0 ? (a, b) : await setUp();
            var (na, nb) = (0, 0);
            var steps = order.Select(session => session == "a" ? sa[na++] : sb[nb++]).ToList();
            IReadOnlyList<RaceResult> results;
            try
            {
                results = await Interleavings.RunAsync(db.DataSource, steps);
            }
            catch (ImpossibleOrderException)
            {
                output.WriteLine($"{string.Join(" ", order)}: cannot happen");
                continue;
            }
            var trace = string.Join(" | ", results.Select(r => $"{r.Session}: {r.Value ?? r.Error?.SqlState}"));
            output.WriteLine(string.Join(" ", order));
            output.WriteLine(trace);
            Assert.DoesNotContain(results, r => r.Error?.SqlState == Deadlock);
            await check(results);
            Assert.Empty(await _rt.RowsAsync("select violation, task_id, step_id, detail from agent_runtime.check_invariants()"));
            count++;
        }
        return count;
    }

    private Task<(long StepId, Guid Token)> StepLeaseAsync(Guid taskId) =>
        _rt.RowsAsync("select id, lease_token from agent_runtime.steps where task_id = $1", taskId)
            .ContinueWith(t => ((long)t.Result[0][0]!, (Guid)t.Result[0][1]!));

    [Theory]
    [InlineData("retry")]
    [InlineData("release")]
    public async Task Cancel_versus_the_claim_of_a_step_ready_again_is_never_lost(string readiedBy)
    {
        Guid taskId = default;
        var orders = await RunAllAsync(async () =>
        {
            var agent = await _rt.NewAgentAsync(); // each order on its own agent: nothing of another order is claimable
            taskId = (await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""")).TaskId;
            var step = await _rt.ClaimOneAsync("first-worker", agent);
            if (readiedBy == "retry")
            {
                Assert.Equal("retry_scheduled", await _rt.FailAsync(step.StepId, step.LeaseToken));
            }
            else
            {
                await _rt.ExecAsync("select agent_runtime.release_steps(array[$1::bigint], array[$2::uuid])", step.StepId, step.LeaseToken);
            }
            return ([A($"select count(*) from agent_runtime.claim_step('race-worker', array['{agent}'], 1, 60)"), A("commit")],
                    [B($"select agent_runtime.cancel_task('{taskId}', 'race')"), B("commit")]);
        }, async results =>
        {
            if (results.Single(r => r.Sql.Contains("claim_step")).Value == "1")
            {
                // the claim won the step: its worker learns of the cancel when it reports
                var (stepId, token) = await StepLeaseAsync(taskId);
                Assert.Equal("canceled", await _rt.CompleteAsync(stepId, token));
            }
            Assert.Equal("canceled", await _rt.TaskStatusAsync(taskId));
            Assert.Equal("canceled", await _rt.ScalarAsync<string>("select status from agent_runtime.steps where task_id = $1", taskId));
        });
        Assert.True(orders >= 3, $"only {orders} orders could run");
    }

    [Fact]
    public async Task Cancel_versus_complete_ends_either_completed_or_canceled_never_both()
    {
        Guid taskId = default;
        await RunAllAsync(async () =>
        {
            var agent = await _rt.NewAgentAsync();
            taskId = (await _rt.SubmitAsync(agent)).TaskId;
            var step = await _rt.ClaimOneAsync("w", agent);
            return ([A($"select agent_runtime.complete_step({step.StepId}, '{step.LeaseToken}', '{{\"ok\":true}}')"), A("commit")],
                    [B($"select agent_runtime.cancel_task('{taskId}')"), B("commit")]);
        }, async results =>
        {
            var completed = results.Single(r => r.Sql.Contains("complete_step"));
            var canceled = results.Single(r => r.Sql.Contains("cancel_task"));
            var status = await _rt.TaskStatusAsync(taskId);
            if (canceled.Error is null)
            {
                Assert.Equal("canceled", completed.Value);
                Assert.Equal("canceled", status);
                Assert.Equal("canceled", await _rt.ScalarAsync<string>("select status from agent_runtime.steps where task_id = $1", taskId));
            }
            else
            {
                Assert.Equal("AR030", canceled.Error.SqlState);
                Assert.Equal(("completed", "completed"), (completed.Value, status));
            }
        });
    }

    [Fact]
    public async Task Heartbeat_versus_lease_expiry_either_keeps_the_lease_or_loses_it_cleanly()
    {
        Guid taskId = default;
        await RunAllAsync(async () =>
        {
            var agent = await _rt.NewAgentAsync();
            taskId = (await _rt.SubmitAsync(agent)).TaskId;
            var step = await _rt.ClaimOneAsync("hb-worker", agent);
            await _rt.ExpireLeaseAsync(step.StepId);
            return ([A($"select count(*) from agent_runtime.heartbeat('hb-worker', 60, array[{step.StepId}::bigint], array['{step.LeaseToken}'::uuid])"), A("commit")],
                    [B("select agent_runtime.reap_expired()"), B("commit")]);
        }, async results =>
        {
            var lost = results.Single(r => r.Sql.Contains("heartbeat")).Value == "1";
            var reaped = int.Parse(results.Single(r => r.Sql.Contains("reap_expired")).Value!) > 0;
            var step = Assert.Single(await _rt.RowsAsync(
                "select status, lease_expires_at > now() from agent_runtime.steps where task_id = $1", taskId));
            Assert.Equal(lost, reaped);
            Assert.Equal(lost ? new object?[] { "ready", null } : ["running", true], step);
        });
    }

    [Fact]
    public async Task Two_messages_to_a_task_waiting_for_input_are_both_kept_in_order_and_wake_it_once()
    {
        Guid taskId = default;
        await RunAllAsync(async () =>
        {
            var agent = await _rt.NewAgentAsync();
            taskId = (await _rt.SubmitAsync(agent)).TaskId;
            var step = await _rt.ClaimOneAsync("w", agent);
            await _rt.ExecAsync("select agent_runtime.yield_step($1, $2, 'input-required', '{\"q\":\"?\"}')", step.StepId, step.LeaseToken);
            static string Message(string text) => "{\"role\":\"user\",\"parts\":[{\"kind\":\"text\",\"text\":\"" + text + "\"}]}";
            return ([A($"select sequence from agent_runtime.send_message('{taskId}', '{Message("one")}')"), A("commit")],
                    [B($"select sequence from agent_runtime.send_message('{taskId}', '{Message("two")}')"), B("commit")]);
        }, async results =>
        {
            var sequences = results.Where(r => r.Sql.Contains("send_message")).Select(r => long.Parse(r.Value!)).Order().ToList();
            Assert.Equal([2L, 3L], sequences);
            Assert.Equal("ready", await _rt.ScalarAsync<string>("select status from agent_runtime.steps where task_id = $1", taskId));
            Assert.Equal(1L, await _rt.ScalarAsync<long>(
                "select count(*) from agent_runtime.events where task_id = $1 and type = 'step.ready' and data ->> 'reason' = 'message'", taskId));
        });
    }

    [Fact]
    public async Task Two_appends_expecting_the_same_sequence_one_wins_the_other_learns_it()
    {
        string session = "";
        await RunAllAsync(async () =>
        {
            session = $"race-{Guid.NewGuid():N}";
            await _rt.ExecAsync("select agent_runtime.create_session('race-app', 'u', '{}', $1)", session);
            const string Append = "select sequence from agent_runtime.append_event('race-app', 'u', '{0}', '{{\"author\":\"{1}\",\"actions\":{{\"state_delta\":{{\"k\":\"{1}\"}}}}}}', 0)";
            return ([A(string.Format(Append, session, "a")), A("commit")], [B(string.Format(Append, session, "b")), B("commit")]);
        }, async results =>
        {
            var appends = results.Where(r => r.Sql.Contains("append_event")).ToList();
            Assert.Single(appends, r => r.Value == "1");
            Assert.Single(appends, r => r.Error?.SqlState == "AR052");
            Assert.Equal(1L, await _rt.ScalarAsync<long>("select last_sequence from agent_runtime.sessions where id = $1", session));
        });
    }

    [Fact]
    public async Task Retry_versus_the_expiry_of_a_canceled_run_leaves_the_task_ready_to_run_again()
    {
        Guid taskId = default;
        await RunAllAsync(async () =>
        {
            var agent = await _rt.NewAgentAsync();
            taskId = (await _rt.SubmitAsync(agent)).TaskId;
            var step = await _rt.ClaimOneAsync("w", agent);
            await _rt.ExecAsync("select agent_runtime.cancel_task($1)", taskId);
            await _rt.ExpireLeaseAsync(step.StepId);
            return ([A($"select agent_runtime.retry_task('{taskId}')"), A("commit")],
                    [B("select agent_runtime.reap_expired()"), B("commit")]);
        }, async results =>
        {
            Assert.Null(results.Single(r => r.Sql.Contains("retry_task")).Error);
            Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
            Assert.Equal(new object?[] { "ready", 0, null },
                Assert.Single(await _rt.RowsAsync("select status, attempt, lease_token from agent_runtime.steps where task_id = $1", taskId)));
        });
    }

    [Theory]
    [InlineData("complete")]
    [InlineData("fail")]
    [InlineData("claim")]
    public async Task Cancels_racing_batch_callbacks_for_100_rounds_never_deadlock(string callback)
    {
        var agent = await _rt.NewAgentAsync();
        var deadlocks = 0;
        for (var round = 0; round < 100; round++)
        {
            var tasks = new List<Guid>();
            for (var i = 0; i < 6; i++)
            {
                tasks.Add((await _rt.SubmitAsync(agent, options: """{"backoff_seconds": 0}""")).TaskId);
            }
            var claimed = callback == "claim" ? [] : await _rt.ClaimAsync($"batch-{round}", [agent], maxSteps: 6);
            var ids = claimed.Select(c => c.StepId).ToArray();
            var tokens = claimed.Select(c => c.LeaseToken).ToArray();
            var batch = callback switch
            {
                "complete" => Task.Run(() => _rt.ExecAsync(
                    "select count(*) from agent_runtime.complete_steps($1, $2, array_fill('{}'::jsonb, array[cardinality($1)]))", ids, tokens)),
                "fail" => Task.Run(() => _rt.ExecAsync(
                    "select count(*) from agent_runtime.fail_steps($1, $2, array_fill('{\"message\":\"x\"}'::jsonb, array[cardinality($1)]))", ids, tokens)),
                _ => Task.Run(() => _rt.ExecAsync($"select count(*) from agent_runtime.claim_step('claimer-{round}', array['{agent}'], 6, 60)")),
            };
            var cancels = tasks.AsEnumerable().Reverse().Select(t => Task.Run(async () =>
            {
                try
                {
                    await _rt.ExecAsync("select agent_runtime.cancel_task($1)", t);
                }
                catch (PostgresException ex) when (ex.SqlState == "AR030")
                {
                }
            })).ToList();
            try
            {
                await Task.WhenAll([batch, .. cancels]);
            }
            catch (PostgresException ex) when (ex.SqlState == Deadlock)
            {
                deadlocks++;
            }
        }
        Assert.Equal(0, deadlocks);
        Assert.Empty(await _rt.RowsAsync("select violation, task_id, step_id, detail from agent_runtime.check_invariants()"));
    }
}
