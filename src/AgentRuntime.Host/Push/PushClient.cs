using System.Text.Json.Nodes;
using AgentRuntime.Client;
using Npgsql;

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
        command.Parameters.Add(Sql.Text(workerId));
        command.Parameters.Add(Sql.Integer(maxDeliveries));
        command.Parameters.Add(Sql.Integer(leaseSeconds));
        var deliveries = new List<PushDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new PushDelivery(
                reader.Get<long>("delivery_id"), reader.Get<Guid>("config_id"), reader.Get<Guid>("task_id"), reader.Get<long>("event_id"),
                reader.Get<string>("url"), reader.Text("token"), reader.Json("authentication") as JsonObject,
                reader.Get<string>("payload"), reader.Get<int>("attempt"), reader.Get<int>("max_attempts")));
        }
        return deliveries;
    }

    public async Task<string> CompleteAsync(long deliveryId, int statusCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.complete_push_delivery(delivery_id => $1, status_code => $2)");
        command.Parameters.Add(Sql.Bigint(deliveryId));
        command.Parameters.Add(Sql.Integer(statusCode));
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<string> FailAsync(
        long deliveryId, int attempt, string error, int? statusCode, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select agent_runtime.fail_push_delivery(delivery_id => $1, error => $2, status_code => $3, attempt => $4)");
        command.Parameters.Add(Sql.Bigint(deliveryId));
        command.Parameters.Add(Sql.Text(error.Length <= 2000 ? error : error[..2000]));
        command.Parameters.Add(Sql.Integer(statusCode));
        command.Parameters.Add(Sql.Integer(attempt));
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
