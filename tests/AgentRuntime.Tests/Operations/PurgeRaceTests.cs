using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Races;
using AgentRuntime.Tests.Support;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Operations;

/// <summary>
/// A purge racing the calls that can touch an old finished task, in every interleaving
/// (Interleavings): each ends in a state the documented semantics allow, with no deadlock and
/// check_invariants() empty.
/// </summary>
public sealed class PurgeRaceTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private async Task RunAllAsync(Func<Task<Guid>> oldTask, string other, Func<Guid, IReadOnlyList<RaceResult>, Task> check)
    {
        var orders = 0;
        foreach (var order in Interleavings.Of([new RaceStep("a", "purge"), new RaceStep("a", "commit")],
                                               [new RaceStep("b", "other"), new RaceStep("b", "commit")]))
        {
            var taskId = await oldTask();
            var task = await _rt.RowsAsync("select session_id, target from agent_runtime.tasks where id = $1", taskId);
            var steps = order.Select(s => s.Sql switch
            {
                "purge" => s with { Sql = $"select agent_runtime.purge_tasks('1 day', null, 1000)" },
                "other" => s with { Sql = string.Format(other, taskId, task[0][0], task[0][1]) },
                _ => s,
            }).ToList();
            IReadOnlyList<RaceResult> results;
            try
            {
                results = await Interleavings.RunAsync(db.DataSource, steps);
            }
            catch (ImpossibleOrderException)
            {
                continue;
            }
            output.WriteLine(string.Join(" | ", results.Select(r => $"{r.Session}: {r.Value ?? r.Error?.SqlState}")));
            Assert.DoesNotContain(results, r => r.Error?.SqlState == "40P01");
            await check(taskId, results);
            await _rt.NoViolationsAsync();
            orders++;
        }
        Assert.True(orders >= 3, $"only {orders} orders could run");
    }

    private async Task<Guid> OldCanceledTaskAsync()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);
        await _rt.ExecAsync("select agent_runtime.cancel_task($1)", task.TaskId);
        await _rt.AgeAsync([task.TaskId], TimeSpan.FromDays(2));
        return task.TaskId;
    }

    [Fact]
    public async Task A_retry_and_a_purge_of_the_same_task_either_reopen_it_or_delete_it_never_half()
    {
        await RunAllAsync(OldCanceledTaskAsync, "select agent_runtime.retry_task('{0}')", async (taskId, results) =>
        {
            var retry = results.Single(r => r.Sql.Contains("retry_task"));
            var exists = await _rt.ScalarAsync<bool>("select exists (select from agent_runtime.tasks where id = $1)", taskId);
            if (retry.Error is null)
            {
                Assert.True(exists);
                Assert.Equal("submitted", await _rt.TaskStatusAsync(taskId));
            }
            else
            {
                Assert.Equal("AR011", retry.Error.SqlState);
                Assert.False(exists);
                Assert.Equal(0L, await _rt.TracesAsync([taskId]));
            }
        });
    }

    [Fact]
    public async Task A_cancel_of_a_task_being_purged_is_refused_as_finished_or_not_found()
    {
        await RunAllAsync(OldCanceledTaskAsync, "select agent_runtime.cancel_task('{0}')", async (taskId, results) =>
        {
            var cancel = results.Single(r => r.Sql.Contains("cancel_task"));
            Assert.Contains(cancel.Error?.SqlState, new[] { "AR030", "AR011" });
            Assert.Equal(0L, await _rt.TracesAsync([taskId]));
        });
    }

    [Fact]
    public async Task A_submit_into_the_session_a_purge_empties_lands_in_that_session_kept_or_made_anew()
    {
        await RunAllAsync(OldCanceledTaskAsync, "select task_id from agent_runtime.submit_task('{2}', '{{}}', '{1}')", async (taskId, results) =>
        {
            var submit = results.Single(r => r.Sql.Contains("submit_task"));
            Assert.Null(submit.Error);
            var row = Assert.Single(await _rt.RowsAsync(
                "select t.session_id, s.id is not null from agent_runtime.tasks t left join agent_runtime.sessions s on s.id = t.session_id " +
                "where t.id = $1::uuid", submit.Value!));
            Assert.Equal(true, row[1]);
        });
    }
}
