using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace AgentRuntime.Host.Push;

/// <summary>A push delivery this host claimed: where to POST what, and which attempt this is.</summary>
public sealed record PushDelivery(
    long DeliveryId, Guid ConfigId, Guid TaskId, long EventId, string Url, string? Token,
    JsonObject? Authentication, string Payload, int Attempt, int MaxAttempts);

/// <summary>The deliverer side of the SQL API: each method is one call of an agent_runtime function.</summary>
public sealed class PushClient(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<PushDelivery>> ClaimAsync(
        string workerId, int maxDeliveries, int leaseSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select delivery_id, config_id, task_id, event_id, url, token, authentication, payload, attempt, max_attempts " +
            "from agent_runtime.claim_push_deliveries(worker_id => $1, max_deliveries => $2, lease_seconds => $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        command.Parameters.Add(new NpgsqlParameter { Value = maxDeliveries });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseSeconds });
        var deliveries = new List<PushDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new PushDelivery(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : JsonNode.Parse(reader.GetString(6)) as JsonObject,
                reader.GetString(7), reader.GetInt32(8), reader.GetInt32(9)));
        }
        return deliveries;
    }

    public async Task<string> CompleteAsync(long deliveryId, int statusCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.complete_push_delivery(delivery_id => $1, status_code => $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryId });
        command.Parameters.Add(new NpgsqlParameter { Value = statusCode });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<string> FailAsync(
        long deliveryId, int attempt, string error, int? statusCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.fail_push_delivery(delivery_id => $1, error => $2, status_code => $3, attempt => $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryId });
        command.Parameters.Add(new NpgsqlParameter { Value = error.Length <= 2000 ? error : error[..2000] });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)statusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = attempt });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
