using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace AgentRuntime.Client;

/// <summary>
/// The runtime's NOTIFY channels as a listener sees them (docs/sql-api.md, "NOTIFY channels"). Any
/// role that can connect may LISTEN on and NOTIFY any channel, so a payload is a hint and never a
/// fact: listeners re-read through the API, and pace the re-reads that found nothing
/// (<see cref="HintPacer"/>), so a flood of spoofed notifications cannot multiply their load.
/// </summary>
public static class Notifications
{
    /// <summary>Payload: the tag (<see cref="TaskTag"/>) of a task whose status changed.</summary>
    public const string TaskStatusChannel = "agent_runtime_task_status";

    /// <summary>
    /// Payload: the tag (<see cref="TaskTag"/>) of a task whose streamed output grew (append_output).
    /// Listeners read on with read_output after the last sequence number they read.
    /// </summary>
    public const string TaskOutputChannel = "agent_runtime_task_output";

    /// <summary>Payload: empty. Events were written: read on after the last position read.</summary>
    public const string EventsChannel = "agent_runtime_events";

    /// <summary>
    /// A task's tag on <see cref="TaskStatusChannel"/> and <see cref="TaskOutputChannel"/>: the first 16 hex digits of the SHA-256 of its
    /// id as text (lower case, with hyphens), as <c>_notify_events</c> computes it. Only who knows the
    /// id can tell which task changed.
    /// </summary>
    public static string TaskTag(Guid taskId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId.ToString("D"))))[..16];

    /// <summary>How long a listener waits before re-reading again after a re-read that found nothing new.</summary>
    public static readonly TimeSpan IdleReadSpacing = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// Paces re-reads triggered by notifications: after a read that found nothing new (a spoofed or
/// stale hint), the next one waits until <see cref="Notifications.IdleReadSpacing"/> has passed, so
/// hints that lead nowhere cost at most one read per spacing; a read that found something lets the
/// next one go at once, so real changes add no latency. Not thread-safe: one per reading loop.
/// </summary>
public sealed class HintPacer
{
    private readonly TimeSpan _spacing;
    private long _idleSince;

    public HintPacer() : this(Notifications.IdleReadSpacing)
    {
    }

    public HintPacer(TimeSpan spacing) => _spacing = spacing;

    /// <summary>Records what the last read found.</summary>
    public void Read(bool foundSomething) => _idleSince = foundSomething ? 0 : Stopwatch.GetTimestamp();

    /// <summary>Waits, when the last read found nothing, until the spacing since it has passed.</summary>
    public Task PaceAsync(CancellationToken cancellationToken)
    {
        if (_idleSince == 0)
        {
            return Task.CompletedTask;
        }
        var wait = _spacing - Stopwatch.GetElapsedTime(_idleSince);
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
    }
}
