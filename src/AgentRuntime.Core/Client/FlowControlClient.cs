using System.Text.Json.Nodes;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>A queue's settings and live counts, as list_queues returns them.</summary>
public sealed record QueueInfo(
    string Queue, bool Paused, int? ConcurrencyLimit, double? RatePerSecond,
    long Ready, long Scheduled, long Running, long Waiting, DateTimeOffset? OldestReadyAt, int? TokensPerMinute = null);

/// <summary>A cron schedule, as list_schedules returns it.</summary>
public sealed record ScheduleInfo(
    string AppName, string Name, string Cron, string Timezone, string Target, DateTimeOffset NextFireAt,
    DateTimeOffset? LastFireAt, Guid? LastTaskId, string? LastStatus);

/// <summary>Queues and schedules (docs/flow-control.md): each method is one call of an agent_runtime function.</summary>
public sealed class FlowControlClient(NpgsqlDataSource dataSource)
{
    private readonly RuntimeConnection _db = dataSource;

    public Task<IReadOnlyList<QueueInfo>> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        _db.ListAsync(ListQueues, cancellationToken);

    /// <summary>configure_queue: sets the given options (paused, concurrency_limit, rate_per_second, burst, tokens_per_minute); returns the settings.</summary>
    public async Task<JsonObject> ConfigureQueueAsync(string queue, JsonObject options, CancellationToken cancellationToken = default) =>
        ClientJson.Parse(await _db.ValueAsync<string>(ConfigureQueue, cancellationToken, Sql.Text(queue), Sql.Jsonb(options, "options")),
            "the queue")!.AsObject();

    /// <summary>set_fairness_weight (admin): the tenant's share of claims relative to weight 1; null removes the weight.</summary>
    public Task SetFairnessWeightAsync(string fairKey, double? weight, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync(SetFairnessWeight, cancellationToken, Sql.Text(fairKey), Sql.Double(weight));

    /// <summary>
    /// schedule_task: creates or replaces the cron schedule <paramref name="name"/>; options are the submit options of each
    /// run plus "timezone" and "backfill". Returns the next fire time.
    /// </summary>
    public Task<DateTimeOffset> ScheduleTaskAsync(string name, string cron, string target, JsonNode? input = null,
        JsonObject? options = null, CancellationToken cancellationToken = default) =>
        _db.ValueAsync<DateTimeOffset>(ScheduleTask, cancellationToken, Sql.Text(name), Sql.Text(cron), Sql.Text(target),
            Sql.Jsonb(input ?? new JsonObject(), "input"), Sql.Jsonb(options ?? new JsonObject(), "options"));

    /// <summary>unschedule_task: whether a schedule of that name (of <paramref name="appName"/> when given) was removed.</summary>
    public Task<bool> UnscheduleTaskAsync(string name, string? appName = null, CancellationToken cancellationToken = default) =>
        _db.ValueAsync<bool>(UnscheduleTask, cancellationToken, Sql.Text(name), Sql.Text(appName));

    public Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        _db.ListAsync(ListSchedules, cancellationToken);

    private static readonly SqlCall<QueueInfo> ListQueues = SqlCall.Rows(
        "list_queues()", "queue, paused, concurrency_limit, rate_per_second, ready, scheduled, running, waiting, oldest_ready_at, tokens_per_minute",
        row => new QueueInfo(
            row.Get<string>("queue"),
            row.Get<bool>("paused"),
            row.Nullable<int>("concurrency_limit"),
            row.Nullable<double>("rate_per_second"),
            row.Get<long>("ready"),
            row.Get<long>("scheduled"),
            row.Get<long>("running"),
            row.Get<long>("waiting"),
            row.Nullable<DateTimeOffset>("oldest_ready_at"),
            row.Nullable<int>("tokens_per_minute")));

    private static readonly SqlCall ConfigureQueue = SqlCall.Function("configure_queue(queue, options)");

    private static readonly SqlCall SetFairnessWeight = SqlCall.Function("set_fairness_weight(fair_key, weight)");

    private static readonly SqlCall ScheduleTask = SqlCall.Function("schedule_task(name, cron, target, input, options)");

    private static readonly SqlCall UnscheduleTask = SqlCall.Function("unschedule_task(name, app_name)");

    private static readonly SqlCall<ScheduleInfo> ListSchedules = SqlCall.Rows(
        "list_schedules()", "app_name, name, cron, timezone, target, next_fire_at, last_fire_at, last_task_id, last_status",
        row => new ScheduleInfo(
            row.Get<string>("app_name"),
            row.Get<string>("name"),
            row.Get<string>("cron"),
            row.Get<string>("timezone"),
            row.Get<string>("target"),
            row.Get<DateTimeOffset>("next_fire_at"),
            row.Nullable<DateTimeOffset>("last_fire_at"),
            row.Nullable<Guid>("last_task_id"),
            row.Text("last_status")));
}
