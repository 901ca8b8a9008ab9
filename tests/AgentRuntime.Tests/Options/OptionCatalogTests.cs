using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Options;

/// <summary>
/// option_catalog(): one row per option of each scope, with a type the checks know, a sane range,
/// a default of the option's type, and a description; clients and workers may read it, and what
/// it says is what submit_task applies.
/// </summary>
public sealed class OptionCatalogTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static readonly string[] s_types = ["integer", "number", "boolean", "timestamp", "identifier", "name", "object"];

    [Fact]
    public async Task Every_option_is_listed_once_per_scope_with_a_known_type_and_a_description()
    {
        var rows = await _rt.RowsAsync("select scope, name, type, description from agent_runtime.option_catalog()");

        Assert.Equal(rows.Count, rows.Select(r => ((string)r[0]!, (string)r[1]!)).Distinct().Count());
        Assert.Equal(["queue", "retry", "step", "task"], rows.Select(r => (string)r[0]!).Distinct().Order());
        Assert.All(rows, r => Assert.Contains((string)r[2]!, s_types));
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace((string)r[3]!), $"{r[0]} option {r[1]} has no description"));
        Assert.Equal(
            ["app_name", "backoff_seconds", "concurrency_key", "concurrency_limit", "deadline", "fairness_key", "idempotency_key",
             "max_attempts", "max_backoff_seconds", "max_tokens", "metadata", "priority", "queue", "run_at", "timeout", "user_id"],
            rows.Where(r => (string)r[0]! == "task").Select(r => (string)r[1]!).Order());
        Assert.Equal(["backoff_seconds", "max_attempts", "max_backoff_seconds", "timeout"],
            rows.Where(r => (string)r[0]! == "step").Select(r => (string)r[1]!).Order());
        Assert.Equal(["burst", "concurrency_limit", "paused", "rate_per_second", "tokens_per_minute"],
            rows.Where(r => (string)r[0]! == "queue").Select(r => (string)r[1]!).Order());
        Assert.Equal(["reset_checkpoints"], rows.Where(r => (string)r[0]! == "retry").Select(r => (string)r[1]!));
    }

    [Fact]
    public async Task Ranges_are_ordered_and_only_numbers_and_objects_have_them()
    {
        var bad = await _rt.RowsAsync("""
            select scope || '.' || name from agent_runtime.option_catalog()
            where case when type in ('integer', 'number') then minimum is null or maximum is null or minimum > maximum
                       when type = 'integer' then minimum <> trunc(minimum) or maximum <> trunc(maximum)
                       when type = 'object' then minimum is not null or maximum is null or maximum <= 0
                       else minimum is not null or maximum is not null end
            """);

        Assert.Empty(bad.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Defaults_have_their_option_type_and_lie_in_its_range()
    {
        var bad = await _rt.RowsAsync("""
            select scope || '.' || name from agent_runtime.option_catalog()
            where default_value is not null
              and not case type when 'integer' then jsonb_typeof(default_value) = 'number'
                                                and default_value::text::numeric between minimum and maximum
                                                and default_value::text::numeric = trunc(default_value::text::numeric)
                                when 'number' then jsonb_typeof(default_value) = 'number' and default_value::text::numeric between minimum and maximum
                                when 'boolean' then jsonb_typeof(default_value) = 'boolean'
                                when 'object' then jsonb_typeof(default_value) = 'object'
                                else jsonb_typeof(default_value) = 'string' end
            """);

        Assert.Empty(bad.Select(r => (string)r[0]!));
        Assert.Equal(0L, await _rt.ScalarAsync<long>("select count(*) from agent_runtime.option_catalog() where scope = 'step' and default_value is not null"));
    }

    [Fact]
    public async Task Step_options_are_task_options_of_the_same_type_and_range()
    {
        var differing = await _rt.RowsAsync("""
            select s.name from agent_runtime.option_catalog() s
            left join agent_runtime.option_catalog() t on t.scope = 'task' and t.name = s.name
            where s.scope = 'step' and (t.name is null or (t.type, t.minimum, t.maximum) is distinct from (s.type, s.minimum, s.maximum))
            """);

        Assert.Empty(differing.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task A_task_submitted_without_options_has_the_catalog_defaults()
    {
        var agent = await _rt.NewAgentAsync();
        var task = await _rt.SubmitAsync(agent);

        var row = Assert.Single(await _rt.RowsAsync("""
            with applied as (
              select jsonb_build_object('priority', t.priority, 'queue', t.queue, 'max_attempts', s.max_attempts,
                                        'backoff_seconds', s.backoff_seconds, 'max_backoff_seconds', s.max_backoff_seconds,
                                        'metadata', t.metadata, 'timeout', s.timeout_seconds, 'deadline', t.deadline) as value,
                     s.concurrency_limit
              from agent_runtime.tasks t join agent_runtime.steps s on s.task_id = t.id where t.id = $1
            ), stated as (
              select jsonb_object_agg(c.name, coalesce(c.default_value, 'null')) as value
              from agent_runtime.option_catalog() c, applied a
              where c.scope = 'task' and a.value ? c.name
            )
            select s.value::text, a.value::text, a.concurrency_limit from applied a, stated s
            """, task.TaskId));

        Assert.Equal(row[0], row[1]);
        Assert.Null(row[2]); // a concurrency_limit applies only with a concurrency_key
    }

    [Theory]
    [InlineData("agent_runtime_client")]
    [InlineData("agent_runtime_worker")]
    [InlineData("agent_runtime_admin")]
    public async Task Clients_workers_and_admins_may_read_it(string role) =>
        Assert.True(await _rt.ScalarAsync<bool>("select has_function_privilege($1, 'agent_runtime.option_catalog()', 'EXECUTE')", role));
}
