using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentRuntime.Agents;

/// <summary>
/// Everything an agent gets for one run of a step (what claim_step returned), and what the run
/// writes while it runs: checkpoints (<see cref="RunStepAsync{T}"/>) and streamed output
/// (<see cref="AppendOutputAsync(string, string, bool, CancellationToken)"/>).
/// </summary>
public sealed record AgentContext
{
    public required long StepId { get; init; }
    public required Guid TaskId { get; init; }
    public required string SessionId { get; init; }

    /// <summary>The app and user of the task's session: with <see cref="SessionId"/>, what
    /// <c>AgentRuntime.Sessions.SessionClient</c> needs to read or change the session's state.</summary>
    public required string AppName { get; init; }

    public required string UserId { get; init; }
    public required string StepKey { get; init; }
    public required string Agent { get; init; }

    /// <summary>The step's input (for a one-agent task, the task's input).</summary>
    public required JsonNode? Input { get; init; }

    public required JsonNode? TaskInput { get; init; }
    public required JsonObject Metadata { get; init; }

    /// <summary>1 for the first run; a retry or a run after a lost lease counts up.</summary>
    public required int Attempt { get; init; }

    public required int MaxAttempts { get; init; }

    /// <summary>The run's time limit, when the task set one.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// When the step had yielded: why (<c>reason</c>), what it left for this run (<c>payload</c>)
    /// and when (<c>yielded_at</c>). Null on a fresh run.
    /// </summary>
    public JsonObject? ResumedFrom { get; init; }

    /// <summary>The lease this run holds: what fences everything the run writes.</summary>
    public Guid LeaseToken { get; init; }

    /// <summary>How the run writes checkpoints and output; null for a context that no claim made (then those calls throw).</summary>
    public StepRun? Run { get; init; }

    /// <summary>
    /// Runs <paramref name="step"/> once across the step's attempts: its result is recorded as the
    /// checkpoint <paramref name="name"/> (serialized with System.Text.Json), and a later attempt
    /// (after a failure, a lost lease, a crash) gets the recorded result without running it. Each
    /// call extends the lease. Names are the step's own: give each call a distinct, stable one.
    /// </summary>
    /// <exception cref="Errors.StaleLeaseException">The lease moved on: this run is over.</exception>
    public Task<T> RunStepAsync<T>(
        string name, Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken, JsonSerializerOptions? options = null) =>
        RequireRun().RunStepAsync(name, step, cancellationToken, options);

    /// <summary>Streams a chunk of text of <paramref name="artifact"/> to the task's readers; <paramref name="last"/> closes the artifact.</summary>
    /// <returns>The chunk's sequence number in the task's output.</returns>
    /// <exception cref="Errors.StaleLeaseException">The lease moved on: this run is over.</exception>
    public Task<long> AppendOutputAsync(string artifact, string text, bool last = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return RequireRun().AppendOutputAsync(artifact, JsonValue.Create(text), last, cancellationToken);
    }

    /// <summary>Streams a chunk of data (any JSON but a string, which is text) of <paramref name="artifact"/>; <paramref name="last"/> closes it.</summary>
    /// <returns>The chunk's sequence number in the task's output.</returns>
    /// <exception cref="Errors.StaleLeaseException">The lease moved on: this run is over.</exception>
    public Task<long> AppendOutputAsync(string artifact, JsonNode? chunk, bool last = false, CancellationToken cancellationToken = default) =>
        RequireRun().AppendOutputAsync(artifact, chunk, last, cancellationToken);

    private StepRun RequireRun() =>
        Run ?? throw new InvalidOperationException("this context was not made by a claim: it has no lease to record checkpoints or output with");
}
