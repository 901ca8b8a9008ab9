using System.Diagnostics;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.EndToEnd;

/// <summary>Shared pieces of the end-to-end tests that drive real host processes.</summary>
public static class EndToEnd
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Settings for one host process: fast polling so tests do not wait on timers.</summary>
    public static Dictionary<string, string> HostEnvironment(string connectionString, string workerId,
        int leaseSeconds = 10, int concurrency = 8, double graceSeconds = 10) => new()
    {
        ["AGENT_RUNTIME_CONNECTION"] = connectionString,
        ["AGENT_RUNTIME_Worker__WorkerId"] = workerId,
        ["AGENT_RUNTIME_Worker__LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AGENT_RUNTIME_Worker__Concurrency"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AGENT_RUNTIME_Worker__PollInterval"] = "00:00:00.500",
        ["AGENT_RUNTIME_Worker__ShutdownGracePeriod"] = TimeSpan.FromSeconds(graceSeconds).ToString(),
    };

    public static async Task<HostProcess> StartHostAsync(Dictionary<string, string> environment, ITestOutputHelper output)
    {
        var host = HostProcess.Start(environment["AGENT_RUNTIME_Worker__WorkerId"], environment, output, "run");
        await host.WaitForOutputAsync("serves", StartTimeout);
        return host;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout}: {await describe()}");
            }
            await Task.Delay(100);
        }
    }

    public static Task WaitForRunningAsync(NpgsqlDataSource dataSource, string workerId, int count) =>
        WaitUntilAsync(
            async () => await dataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.steps where status = 'running' and leased_by = $1", workerId) == count,
            TimeSpan.FromSeconds(30), () => Task.FromResult($"{workerId} did not start {count} steps"));

    public static Task<string> TaskStatusesAsync(NpgsqlDataSource dataSource, Guid[] taskIds) =>
        dataSource.ScalarAsync<string>(
            "select string_agg(status || ': ' || n, ', ') from (select status, count(*) n from agent_runtime.tasks " +
            "where id = any($1) group by status) s", (object)taskIds)!;

    public static async Task WaitForTasksAsync(NpgsqlDataSource dataSource, Guid[] taskIds, string status, TimeSpan timeout) =>
        await WaitUntilAsync(
            async () => await dataSource.ScalarAsync<long>(
                "select count(*) from agent_runtime.tasks where id = any($1) and status = $2", taskIds, status) == taskIds.Length,
            timeout,
            async () => $"tasks by status: {await TaskStatusesAsync(dataSource, taskIds)}");

    public static async Task<Guid[]> SubmitAsync(NpgsqlDataSource dataSource, string sqlSelectingTargetAndInput)
    {
        var rows = await dataSource.RowsAsync(
            $"select (agent_runtime.submit_task(target => q.target, input => q.input)).task_id from ({sqlSelectingTargetAndInput}) as q");
        return [.. rows.Select(r => (Guid)r[0]!)];
    }

    /// <summary>
    /// Every step of the tasks completed exactly once, and ran more than once only when a lease
    /// was lost (a step.ready event with reason lease_expired between its runs).
    /// </summary>
    public static async Task AssertEachStepCompletedOnceAsync(NpgsqlDataSource dataSource, Guid[] taskIds)
    {
        var rows = await dataSource.RowsAsync(
            "select s.id, " +
            "count(*) filter (where e.type = 'step.completed'), " +
            "count(*) filter (where e.type = 'step.running'), " +
            "count(*) filter (where e.type = 'step.ready' and e.data->>'reason' in ('lease_expired', 'released')) " +
            "from agent_runtime.steps s join agent_runtime.events e on e.step_id = s.id " +
            "where s.task_id = any($1) group by s.id", (object)taskIds);
        Assert.Equal(taskIds.Length, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.True((long)row[1]! == 1, $"step {row[0]} completed {row[1]} times");
            Assert.True((long)row[2]! == 1 + (long)row[3]!,
                $"step {row[0]} ran {row[2]} times with {row[3]} lost or released leases");
        });
    }
}
