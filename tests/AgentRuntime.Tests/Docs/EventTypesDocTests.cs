using System.Text.RegularExpressions;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Docs;

/// <summary>The events table of docs/sql-api.md lists exactly the event types the SQL writes.</summary>
public sealed partial class EventTypesDocTests
{
    // A literal such as 'step.ready' or 'push_config.set': family, dot, name.
    [GeneratedRegex(@"'([a-z_]+\.[a-z_-]+)'")]
    private static partial Regex DottedLiteral();

    // A type built at run time: 'step.' || status.
    [GeneratedRegex(@"'([a-z_]+\.)'\s*\|\|")]
    private static partial Regex DynamicType();

    // The first column of a row of the events table: `type`, `type`, ...
    [GeneratedRegex(@"`([a-z_]+\.[a-z_-]+)`")]
    private static partial Regex DocumentedType();

    /// <summary>Dotted literals that are not event types: settings' keys and pgvector's hnsw.ef_search (schema-qualified names are left out too).</summary>
    private static readonly string[] s_notEventTypes =
    [
        "push.allowed_destinations", "retention.finished_after", "retention.statuses", "retention.graph_threads_after", "memory.dimensions",
        "testing.allow_clock_offset", "tenancy.unbound_clients", "hnsw.ef_search",
    ];

    /// <summary>
    /// The types each file that builds a type at run time ('step.' || status) can write, read from
    /// its code by hand. A new file with such a type fails the test until it is listed here.
    /// </summary>
    private static readonly Dictionary<string, string[]> s_dynamicTypes = new()
    {
        ["_finish_step.sql"] = ["step.completed", "step.failed", "step.skipped"],
        ["_complete_runs.sql"] = ["step.completed", "step.waiting"],
        ["_stop_tasks.sql"] = ["task.canceled", "task.failed", "task.rejected"],
        ["yield_step.sql"] = ["task.input-required", "task.auth-required"],
        ["check_invariants.sql"] = [], // compares with 'task.' || status, writes nothing
    };

    [Fact]
    public void The_events_table_lists_every_event_type_the_sql_writes_and_no_other()
    {
        var root = Repository.Root;
        var written = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "db"), "*.sql", SearchOption.AllDirectories))
        {
            var sql = File.ReadAllText(file);
            written.UnionWith(DottedLiteral().Matches(sql).Select(m => m.Groups[1].Value)
                .Where(t => !t.StartsWith("agent_runtime.", StringComparison.Ordinal))
                .Except(s_notEventTypes));
            if (DynamicType().IsMatch(sql))
            {
                Assert.True(s_dynamicTypes.TryGetValue(Path.GetFileName(file), out var types),
                    $"{Path.GetFileName(file)} builds an event type at run time: list the types it writes in s_dynamicTypes");
                written.UnionWith(types);
            }
        }

        var docs = File.ReadAllLines(Path.Combine(root, "docs", "sql-api.md"));
        var header = Array.FindIndex(docs, l => l.StartsWith("| type | written by |", StringComparison.Ordinal));
        Assert.True(header >= 0, "docs/sql-api.md has no events table");
        var documented = new SortedSet<string>(
            docs.Skip(header + 2)
                .TakeWhile(l => l.StartsWith('|'))
                .SelectMany(l => DocumentedType().Matches(l.Split('|')[1]).Select(m => m.Groups[1].Value)),
            StringComparer.Ordinal);

        Assert.True(written.Count > 30, $"only {written.Count} event types found in the SQL");
        Assert.Equal(written, documented);
    }
}
