using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Agents;

/// <summary>
/// What one run of a claimed step writes while it runs, fenced by its lease: checkpoints
/// (save_checkpoint, read once per run with get_checkpoints) and streamed output (append_output).
/// The rules (first write wins, the lease, the sizes, the sequence) are the SQL functions'; this
/// only remembers what the run has read, so that each recorded name costs no further call.
/// A refused call (<see cref="Errors.StaleLeaseException"/>: the lease moved on, the step was
/// canceled) is thrown to the agent: its run is over, and the host drops what it returns.
/// </summary>
public sealed class StepRun(StepClient client, long stepId, Guid leaseToken)
{
    /// <summary>How <see cref="RunStepAsync{T}"/> writes and reads results unless told otherwise.</summary>
    public static JsonSerializerOptions DefaultSerializerOptions { get; } = CreateOptions();

    private readonly SemaphoreSlim _loading = new(1, 1);
    private ConcurrentDictionary<string, JsonNode?>? _checkpoints;

    public long StepId { get; } = stepId;

    public Guid LeaseToken { get; } = leaseToken;

    /// <summary>
    /// The result of the step <paramref name="name"/>: the one recorded by this run or an earlier
    /// attempt when there is one (<paramref name="run"/> is not called), else <paramref name="run"/>'s,
    /// recorded as a checkpoint (which extends the lease). What is returned is always what the
    /// runtime keeps: when another run recorded the name first, its result.
    /// </summary>
    public async Task<T> RunStepAsync<T>(
        string name, Func<CancellationToken, Task<T>> run, CancellationToken cancellationToken, JsonSerializerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(run);
        options ??= DefaultSerializerOptions;
        var checkpoints = await CheckpointsAsync(cancellationToken);
        if (checkpoints.TryGetValue(name, out var recorded))
        {
            return Read<T>(recorded, options);
        }
        var result = await run(cancellationToken);
        var kept = await client.SaveCheckpointAsync(StepId, LeaseToken, name, JsonSerializer.SerializeToNode(result, options), cancellationToken);
        checkpoints[name] = kept;
        return Read<T>(kept, options);
    }

    /// <summary>Appends a chunk of <paramref name="artifact"/> (text or data) to the task's streamed output; returns its sequence number.</summary>
    public Task<long> AppendOutputAsync(string artifact, JsonNode? chunk, bool last, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(artifact);
        return client.AppendOutputAsync(StepId, LeaseToken, artifact, chunk, last, cancellationToken);
    }

    /// <summary>Records one model call's usage (tokens) for this attempt; see <see cref="StepClient.RecordUsageAsync"/>.</summary>
    public Task<RecordedUsage> RecordUsageAsync(string model, int inputTokens, int outputTokens, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return client.RecordUsageAsync(StepId, LeaseToken, model, inputTokens, outputTokens, cancellationToken);
    }

    private async ValueTask<ConcurrentDictionary<string, JsonNode?>> CheckpointsAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _checkpoints) is { } loaded)
        {
            return loaded;
        }
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_checkpoints is null)
            {
                var recorded = await client.GetCheckpointsAsync(StepId, LeaseToken, cancellationToken);
                Volatile.Write(ref _checkpoints, new ConcurrentDictionary<string, JsonNode?>(
                    recorded.Select(c => KeyValuePair.Create(c.Name, c.Output)), StringComparer.Ordinal));
            }
            return _checkpoints!;
        }
        finally
        {
            _loading.Release();
        }
    }

    // Each caller gets its own copy: a result it changes never changes the recorded one.
    private static T Read<T>(JsonNode? node, JsonSerializerOptions options) =>
        node is null ? JsonSerializer.Deserialize<T>("null", options)! : node.Deserialize<T>(options)!;

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { MaxDepth = ClientJson.WriteDepth };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
