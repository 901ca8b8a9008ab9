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
    private readonly RuntimeConnection _db = dataSource;

    public Task<IReadOnlyList<PushDelivery>> ClaimAsync(
        string workerId, int maxDeliveries, int leaseSeconds, CancellationToken cancellationToken) =>
        _db.ListAsync(ClaimPushDeliveries, cancellationToken, Sql.Text(workerId), Sql.Integer(maxDeliveries), Sql.Integer(leaseSeconds));

    public Task<string> CompleteAsync(long deliveryId, int statusCode, CancellationToken cancellationToken) =>
        _db.ValueAsync<string>(CompletePushDelivery, cancellationToken, Sql.Bigint(deliveryId), Sql.Integer(statusCode));

    public Task<string> FailAsync(
        long deliveryId, int attempt, string error, int? statusCode, CancellationToken cancellationToken) =>
        _db.ValueAsync<string>(FailPushDelivery, cancellationToken, Sql.Bigint(deliveryId),
            Sql.Text(error.Length <= 2000 ? error : error[..2000]), Sql.Integer(statusCode), Sql.Integer(attempt));

    private static readonly SqlCall<PushDelivery> ClaimPushDeliveries = SqlCall.Rows(
        "claim_push_deliveries(worker_id, max_deliveries, lease_seconds)",
        "delivery_id, config_id, task_id, event_id, url, token, authentication, payload, attempt, max_attempts",
        row => new PushDelivery(
            row.Get<long>("delivery_id"), row.Get<Guid>("config_id"), row.Get<Guid>("task_id"), row.Get<long>("event_id"),
            row.Get<string>("url"), row.Text("token"), row.Json("authentication") as JsonObject,
            row.Get<string>("payload"), row.Get<int>("attempt"), row.Get<int>("max_attempts")));

    private static readonly SqlCall CompletePushDelivery = SqlCall.Function("complete_push_delivery(delivery_id, status_code)");

    private static readonly SqlCall FailPushDelivery = SqlCall.Function("fail_push_delivery(delivery_id, error, status_code, attempt)");
}
