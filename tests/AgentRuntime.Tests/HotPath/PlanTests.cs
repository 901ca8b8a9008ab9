using System.Text.RegularExpressions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.HotPath;

/// <summary>
/// The hot statements walk indexes whose order matches their ORDER BY and reach rows by primary
/// key, whatever the statistics say: on tables that were never analyzed (right after a bulk
/// load) and after ANALYZE, with generic and with custom plans. Each hot call runs with
/// auto_explain logging every nested statement (as PL/pgSQL runs it, with actual row counts);
/// a sequential scan of steps, tasks, events or sessions fails the test, and so does a sort of
/// more rows than a small multiple of the batch (a sort that grows with the backlog). Timing is
/// not asserted here: the benchmark harness (bench/) measures claim cost at 10k and 1M.
/// </summary>
public sealed partial class PlanTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const int Backlog = 100_000;
    private const int Batch = 250;
    private const int SortLimit = 4 * Batch;
    private static readonly string[] s_bigTables = ["steps", "tasks", "events", "sessions"];

    [GeneratedRegex(@"Seq Scan on (\w+)")]
    private static partial Regex SeqScan();

    [GeneratedRegex(@"Sort  \(cost=[^)]*\) \(actual time=[^ ]+ rows=(\d+) loops=(\d+)\)")]
    private static partial Regex SortNode();

    [Fact]
    public async Task Hot_statements_use_their_indexes_before_and_after_analyze_with_generic_and_custom_plans()
    {
        // Loading and analyzing 100k tasks takes a while on a busy machine.
        await using var patient = db.CreateDataSource(b => b.CommandTimeout = 600);
        var rt = new Runtime(patient);
        foreach (var table in (string[])["steps", "tasks", "events", "sessions", "session_events"])
        {
            await rt.ExecAsync($"alter table agent_runtime.{table} set (autovacuum_enabled = false)");
        }
        await rt.RegisterAgentAsync("planned");
        await rt.RegisterAgentAsync("crowd");
        await LoadBacklogAsync(rt, "planned", Backlog / 2, priority: 0);
        await LoadBacklogAsync(rt, "crowd", Backlog / 2, priority: 10);

        var problems = new List<string>();
        foreach (var analyzed in (bool[])[false, true])
        {
            if (analyzed)
            {
                await rt.ExecAsync("analyze agent_runtime.steps, agent_runtime.tasks, agent_runtime.events, agent_runtime.sessions, agent_runtime.session_events");
            }
            foreach (var mode in (string[])["force_generic_plan", "force_custom_plan"])
            {
                problems.AddRange(await RunHotCallsAsync(patient, $"{(analyzed ? "analyzed" : "never analyzed")}, {mode}", mode));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    /// <summary>Ready steps of an agent, loaded directly (the fastest way to a big backlog).</summary>
    private static async Task LoadBacklogAsync(Runtime rt, string agent, int count, int priority)
    {
        await rt.ExecAsync($$"""
            insert into agent_runtime.sessions (id, app_name, user_id)
            select '{{agent}}-' || g, 'plan', 'u' from generate_series(1, {{count}}) g;
            insert into agent_runtime.tasks (target, session_id, input, max_attempts, app_name, user_id, priority)
            select '{{agent}}', '{{agent}}-' || g, '{}', 3, 'plan', 'u', {{priority}} from generate_series(1, {{count}}) g;
            insert into agent_runtime.steps (task_id, key, agent, status, max_attempts, backoff_seconds, max_backoff_seconds, priority, run_at)
            select t.id, '{{agent}}', '{{agent}}', 'ready', 3, 0, 0, {{priority}}, now() - interval '1 minute'
            from agent_runtime.tasks t where t.target = '{{agent}}';
            insert into agent_runtime.events (type, task_id, data)
            select 'task.submitted', t.id, '{}' from agent_runtime.tasks t where t.target = '{{agent}}';
            """);
    }

    private async Task<List<string>> RunHotCallsAsync(NpgsqlDataSource dataSource, string label, string mode)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await ExecAsync(connection, $"""
            load 'auto_explain';
            set auto_explain.log_min_duration = 0;
            set auto_explain.log_analyze = on;
            set auto_explain.log_timing = off;
            set auto_explain.log_nested_statements = on;
            set auto_explain.log_level = notice;
            set client_min_messages = notice;
            set plan_cache_mode = {mode};
            """);
        var problems = new List<string>();

        async Task CallAsync(string what, string sql)
        {
            plans.Clear();
            await ExecAsync(connection, sql);
            foreach (var plan in plans)
            {
                foreach (Match scan in SeqScan().Matches(plan))
                {
                    if (s_bigTables.Contains(scan.Groups[1].Value))
                    {
                        problems.Add($"{label}: {what}: sequential scan of {scan.Groups[1].Value}\n{plan}");
                    }
                }
                foreach (Match sort in SortNode().Matches(plan))
                {
                    var rows = long.Parse(sort.Groups[1].Value) * long.Parse(sort.Groups[2].Value);
                    if (rows > SortLimit)
                    {
                        problems.Add($"{label}: {what}: a sort of {rows} rows\n{plan}");
                    }
                }
            }
            output.WriteLine($"{label}: {what}: {plans.Count} statements");
        }

        var worker = $"plan-worker-{Guid.NewGuid():N}";
        // Twice: the second call of a statement runs the plan PL/pgSQL cached for it.
        for (var round = 0; round < 2; round++)
        {
            await CallAsync("claim_step (one agent)",
                $"drop table if exists claimed; create temp table claimed as select * from agent_runtime.claim_step('{worker}', array['planned'], {Batch}, 60)");
            await CallAsync("complete_steps",
                "select count(*) from agent_runtime.complete_steps((select array_agg(step_id) from claimed), " +
                "(select array_agg(lease_token) from claimed), (select array_agg('{}'::jsonb) from claimed))");
            await CallAsync("claim_step (two agents)",
                $"drop table if exists claimed; create temp table claimed as select * from agent_runtime.claim_step('{worker}', array['planned', 'crowd'], {Batch}, 60)");
            await CallAsync("heartbeat (step ids)",
                $"select count(*) from agent_runtime.heartbeat('{worker}', 60, (select array_agg(step_id) from claimed), (select array_agg(lease_token) from claimed))");
            await CallAsync("fail_steps (retry)",
                "select count(*) from agent_runtime.fail_steps((select array_agg(step_id) from claimed), " +
                "(select array_agg(lease_token) from claimed), (select array_agg('{\"message\":\"x\"}'::jsonb) from claimed))");
            await CallAsync("heartbeat (worker)", $"select count(*) from agent_runtime.heartbeat('{worker}', 60)");
            await ExecAsync(connection,
                $"drop table if exists claimed; create temp table claimed as select * from agent_runtime.claim_step('{worker}-lost', array['planned'], 50, 60);" +
                "update agent_runtime.steps set lease_expires_at = now() - interval '1 second' where id in (select step_id from claimed)");
            await CallAsync("lease expiry (reap_expired)", "select agent_runtime.reap_expired()");
            await ExecAsync(connection,
                $"drop table if exists claimed; create temp table claimed as select * from agent_runtime.claim_step('{worker}-timer', array['planned'], 50, 60);" +
                "select count(*) from claimed c, agent_runtime.yield_step(c.step_id, c.lease_token, 'timer', null, now() - interval '1 second')");
            await CallAsync("timer wake-up (claim_step)",
                $"drop table if exists claimed; create temp table claimed as select * from agent_runtime.claim_step('{worker}', array['planned'], {Batch}, 60)");
            await CallAsync("submit_task", "select * from agent_runtime.submit_task('planned', '{\"n\":1}')");
            await CallAsync("submit_tasks (100)",
                "select count(*) from agent_runtime.submit_tasks(array['planned'], array_fill('{\"n\":1}'::jsonb, array[100]))");
        }
        return problems;
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
