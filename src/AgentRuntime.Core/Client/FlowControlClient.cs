using System.Text.Json.Nodes;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Client;

/// <summary>A queue's settings and live counts, as list_queues returns them.</summary>
public sealed record QueueInfo(
    string Queue, bool Paused, int? ConcurrencyLimit, double? RatePerSecond,
    long Ready, long Scheduled, long Running, long Waiting, DateTimeOffset? OldestReadyAt);

/// <summary>A cron schedule, as list_schedules returns it.</summary>
public sealed record ScheduleInfo(
    string AppName, string Name, string Cron, string Timezone, string Target, DateTimeOffset NextFireAt,
    DateTimeOffset? LastFireAt, Guid? LastTaskId, string? LastStatus);

/// <summary>Queues and schedules (docs/flow-control.md): each method is one call of an agent_runtime function.</summary>
public sealed class FlowControlClient(NpgsqlDataSource dataSource)
{
    public Task<IReadOnlyList<QueueInfo>> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate<IReadOnlyList<QueueInfo>>(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select queue, paused, concurrency_limit, rate_per_second, ready, scheduled, running, waiting, oldest_ready_at " +
                "from agent_runtime.list_queues()");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var queues = new List<QueueInfo>();
            while (await reader.ReadAsync(cancellationToken))
            {
                queues.Add(new QueueInfo(
                    reader.Get<string>("queue"),
                    reader.Get<bool>("paused"),
                    reader.Nullable<int>("concurrency_limit"),
                    reader.Nullable<double>("rate_per_second"),
                    reader.Get<long>("ready"),
                    reader.Get<long>("scheduled"),
                    reader.Get<long>("running"),
                    reader.Get<long>("waiting"),
                    reader.Nullable<DateTimeOffset>("oldest_ready_at")));
            }
            return queues;
        });

    /// <summary>configure_queue: sets the given options (paused, concurrency_limit, rate_per_second, burst); returns the settings.</summary>
    public Task<JsonObject> ConfigureQueueAsync(string queue, JsonObject options, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.configure_queue(queue => $1, options => $2::jsonb)::text");
            command.Parameters.Add(Sql.Text(queue));
            command.Parameters.Add(Sql.Text(ClientJson.Write(options, "options")));
            return ClientJson.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!, "the queue")!.AsObject();
        });

    /// <summary>set_fairness_weight (admin): the tenant's share of claims relative to weight 1; null removes the weight.</summary>
    public Task SetFairnessWeightAsync(string fairKey, double? weight, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.set_fairness_weight(fair_key => $1, weight => $2)");
            command.Parameters.Add(Sql.Text(fairKey));
            command.Parameters.Add(Sql.Double(weight));
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        });

    /// <summary>
    /// schedule_task: creates or replaces the cron schedule <paramref name="name"/>; options are the submit options of each
    /// run plus "timezone" and "backfill". Returns the next fire time.
    /// </summary>
    public Task<DateTimeOffset> ScheduleTaskAsync(string name, string cron, string target, JsonNode? input = null,
        JsonObject? options = null, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select agent_runtime.schedule_task(name => $1, cron => $2, target => $3, input => $4::jsonb, options => $5::jsonb)");
            command.Parameters.Add(Sql.Text(name));
            command.Parameters.Add(Sql.Text(cron));
            command.Parameters.Add(Sql.Text(target));
            command.Parameters.Add(Sql.Text(ClientJson.Write(input ?? new JsonObject(), "input")));
            command.Parameters.Add(Sql.Text(ClientJson.Write(options ?? new JsonObject(), "options")));
            return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
        });

    /// <summary>unschedule_task: whether a schedule of that name (of <paramref name="appName"/> when given) was removed.</summary>
    public Task<bool> UnscheduleTaskAsync(string name, string? appName = null, CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate(async () =>
        {
            await using var command = dataSource.CreateCommand("select agent_runtime.unschedule_task(name => $1, app_name => $2)");
            command.Parameters.Add(Sql.Text(name));
            command.Parameters.Add(Sql.Text(appName));
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        });

    public Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        AgentRuntimeException.Translate<IReadOnlyList<ScheduleInfo>>(async () =>
        {
            await using var command = dataSource.CreateCommand(
                "select app_name, name, cron, timezone, target, next_fire_at, last_fire_at, last_task_id, last_status " +
                "from agent_runtime.list_schedules()");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var schedules = new List<ScheduleInfo>();
            while (await reader.ReadAsync(cancellationToken))
            {
                schedules.Add(new ScheduleInfo(
                    reader.Get<string>("app_name"),
                    reader.Get<string>("name"),
                    reader.Get<string>("cron"),
                    reader.Get<string>("timezone"),
                    reader.Get<string>("target"),
                    reader.Get<DateTimeOffset>("next_fire_at"),
                    reader.Nullable<DateTimeOffset>("last_fire_at"),
                    reader.Nullable<Guid>("last_task_id"),
                    reader.Text("last_status")));
            }
            return schedules;
        });
}
