using System.Text.RegularExpressions;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.WebConsole;

/// <summary>
/// browse_tasks on a million tasks, before and after ANALYZE, each filter of the console's task
/// list: the walk goes down one index (the one its filters name) and reads at most 10,000 tasks,
/// never a sequential scan of tasks, never a sort of more than the walk. auto_explain logs every
/// nested statement with actual row counts; no timing is asserted (bench/ measures speed).
/// </summary>
public sealed partial class ConsolePlanTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private const int Tasks = 1_000_000;
    private const int Walk = 10_000;

    [GeneratedRegex(@"Seq Scan on (\w+)")]
    private static partial Regex SeqScan();

    [GeneratedRegex(@"Index Scan(?: Backward)? using (\w+) on tasks t(?:_\d+)?\s+\(cost=[^)]*\) \(actual rows=(\d+) loops=(\d+)\)")]
    private static partial Regex TaskIndexScan();

    [GeneratedRegex(@"Sort  \(cost=[^)]*\) \(actual rows=(\d+) loops=(\d+)\)")]
    private static partial Regex SortNode();

    [Fact]
    public async Task Browse_tasks_walks_one_index_range_of_a_million_tasks_whatever_the_filters()
    {
        await using var patient = db.CreateDataSource(b => b.CommandTimeout = 900);
        var rt = new Runtime(patient);
        await rt.ExecAsync("alter table agent_runtime.tasks set (autovacuum_enabled = false)");
        await rt.RegisterAgentAsync("plan-agent");
        await rt.ExecAsync("insert into agent_runtime.sessions (id, app_name, user_id) values ('plan', 'app0', 'u')");
        // 20 apps, a workflow for every tenth task, one failed task in a thousand, a working one in 50,000.
        // In short transactions: one open for minutes would hold back read_events in every other
        // test database of the cluster (its horizon is the oldest transaction still running).
        for (var from = 1; from <= Tasks; from += 50_000)
        {
            await rt.ExecAsync($$"""
                insert into agent_runtime.tasks (target, session_id, input, max_attempts, app_name, user_id, status, created_at)
                select case when g % 10 = 0 then 'plan-flow' else 'plan-agent' end, 'plan', '{}', 3, 'app' || (g % 20), 'u',
                       case when g % 1000 = 0 then 'failed' when g % 50000 = 1 then 'working' else 'completed' end,
                       now() - ({{Tasks}} - g) * interval '10 ms'
                from generate_series({{from}}, {{from + 49_999}}) g
                """);
        }
        await using var roles = new LoginRoles(db);
        var (tenant, _) = await roles.CreateAsync("agent_runtime_client");
        await rt.ExecAsync("select agent_runtime.bind_tenant($1, 'app3'), agent_runtime.bind_tenant($1, 'app4')", tenant);
        var sample = await rt.ScalarAsync<Guid>("select id from agent_runtime.tasks where status = 'working' limit 1");
        var token = await rt.ScalarAsync<string>("select agent_runtime.browse_tasks('{}', 1000) ->> 'next_page_token'");

        var calls = new (string What, string Filters, string? Token, string? Role, string Index)[]
        {
            ("no filter", "{}", null, null, "tasks_created"),
            ("the next page", "{}", token, null, "tasks_created"),
            ("a rare status", """{"status": "working"}""", null, null, "tasks_created"),
            ("a queue", """{"queue": "none"}""", null, null, "tasks_created"),
            ("a time range", """{"created_before": "2999-01-01T00:00:00Z", "created_after": "2000-01-01T00:00:00Z"}""", null, null, "tasks_created"),
            ("an app and a status", """{"app_name": "app3", "status": ["failed"]}""", null, null, "tasks_app_created"),
            ("a target", """{"target": "plan-flow"}""", null, null, "tasks_target_created"),
            ("the start of an id", $$"""{"id": "{{sample.ToString()[..8]}}"}""", null, null, "tasks_pkey"),
            ("a tenant of two apps", """{"status": "failed"}""", null, tenant, "tasks_app_created"),
        };
        var problems = new List<string>();
        foreach (var analyzed in (bool[])[false, true])
        {
            if (analyzed)
            {
                await rt.ExecAsync("analyze agent_runtime.tasks");
            }
            foreach (var call in calls)
            {
                problems.AddRange(await CheckAsync(patient, $"{(analyzed ? "analyzed" : "never analyzed")}, {call.What}", call.Filters,
                    call.Token, call.Role, call.Index));
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    private async Task<List<string>> CheckAsync(NpgsqlDataSource dataSource, string label, string filters, string? token, string? role,
        string index)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await using (var setup = new NpgsqlCommand("""
            load 'auto_explain';
            set auto_explain.log_min_duration = 0;
            set auto_explain.log_analyze = on;
            set auto_explain.log_timing = off;
            set auto_explain.log_nested_statements = on;
            set auto_explain.log_level = notice;
            set client_min_messages = notice;
            """, connection))
        {
            await setup.ExecuteNonQueryAsync();
        }
        if (role is not null)
        {
            await using var switchRole = new NpgsqlCommand($"set role {role}", connection);
            await switchRole.ExecuteNonQueryAsync();
        }
        await using (var browse = new NpgsqlCommand("select agent_runtime.browse_tasks($1::jsonb, 50, $2)", connection))
        {
            browse.Parameters.Add(new NpgsqlParameter { Value = filters });
            browse.Parameters.Add(new NpgsqlParameter { Value = (object?)token ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await browse.ExecuteNonQueryAsync();
        }
        var problems = new List<string>();
        var walk = plans.Where(p => p.Contains("agent_runtime.tasks t", StringComparison.Ordinal)).ToList();
        if (walk.Count == 0)
        {
            return [$"{label}: no plan of the walk was logged ({plans.Count} plans)"];
        }
        foreach (var plan in walk)
        {
            if (SeqScan().Matches(plan).Any(m => m.Groups[1].Value == "tasks"))
            {
                problems.Add($"{label}: a sequential scan of tasks\n{plan}");
            }
            var scans = TaskIndexScan().Matches(plan).ToList();
            if (!scans.Any(s => s.Groups[1].Value == index))
            {
                problems.Add($"{label}: the walk does not use {index}\n{plan}");
            }
            foreach (var scan in scans)
            {
                if (long.Parse(scan.Groups[2].Value) > Walk)
                {
                    problems.Add($"{label}: {scan.Groups[1].Value} read {scan.Groups[2].Value} tasks in one range, over the walk of {Walk}\n{plan}");
                }
            }
            foreach (Match sort in SortNode().Matches(plan))
            {
                if (long.Parse(sort.Groups[1].Value) * long.Parse(sort.Groups[2].Value) > 2 * Walk)
                {
                    problems.Add($"{label}: a sort of {sort.Groups[1].Value} rows\n{plan}");
                }
            }
        }
        output.WriteLine($"{label}: {walk.Count} plans checked");
        return problems;
    }
}
