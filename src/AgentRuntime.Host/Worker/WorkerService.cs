using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AgentRuntime.Agents;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentRuntime.Host.Worker;

/// <summary>
/// The worker loop: claims steps in batches up to its free slots (woken by NOTIFY, with a
/// polling fallback), runs their agents with bounded concurrency, heartbeats their leases,
/// abandons runs whose step was canceled or whose lease was lost, and reports results in
/// batches. On shutdown it stops claiming, lets running agents finish within the grace
/// period and hands the rest back without using up an attempt.
/// </summary>
public sealed class WorkerService : BackgroundService
{
    private readonly StepClient _client;
    private readonly NotificationListener _listener;
    private readonly ResultReporter _reporter;
    private readonly WorkerOptions _options;
    private readonly WorkerMetrics _metrics;
    private readonly ILogger<WorkerService> _logger;
    private readonly Dictionary<string, IAgent> _agents;
    private readonly string[] _agentNames;
    private readonly ConcurrentDictionary<long, RunningStep> _held = new();
    private readonly ConcurrentDictionary<long, Task> _runs = new();
    private readonly SemaphoreSlim _slots;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<bool> _wakeups = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The process exit code when the database cannot serve this worker (as the CLI's "cannot reach the database").</summary>
    public const int UnusableDatabaseExitCode = 3;

    /// <summary>Payload: the name of an agent whose steps became due.</summary>
    public const string WakeupChannel = "agent_runtime_wakeup";

    public WorkerService(
        StepClient client,
        NotificationListener listener,
        ResultReporter reporter,
        WorkerOptions options,
        IEnumerable<IAgent> agents,
        WorkerMetrics metrics,
        IHostApplicationLifetime lifetime,
        ILogger<WorkerService> logger)
    {
        _lifetime = lifetime;
        _client = client;
        _listener = listener;
        _reporter = reporter;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        var all = agents.ToDictionary(a => a.Name);
        _agents = options.Agents.Count == 0 ? all : options.Agents.ToDictionary(n => n, n => all[n]);
        _agentNames = [.. _agents.Keys.Order()];
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        _reporter.Reported += Settle;
    }

    /// <summary>Completes once the agents and this worker are registered: tasks for them can be submitted.</summary>
    public Task Registered => _registered.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Listener, heartbeats and reporter outlive stoppingToken: the drain still needs them.
        using var background = new CancellationTokenSource();
        try
        {
            await Retry.TransientAsync(async ct =>
            {
                await _client.RegisterAsync(_options.WorkerId, [.. _agents.Values], WorkerInfo(), ct);
                return true;
            }, _logger, "register the worker", stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _registered.TrySetCanceled(stoppingToken);
            return;
        }
        catch (Exception ex) when (ex is PostgresException or AgentRuntimeException)
        {
            // Not an outage that passes (those are retried): the database refuses us, most often
            // because it was never migrated. Waiting would not help, so stop with a clear reason.
            _logger.LogCritical("Cannot register worker {WorkerId}: {Error}. Is the database migrated? Run agent-runtime migrate.",
                _options.WorkerId, ex is PostgresException postgres ? postgres.MessageText : ex.Message);
            _registered.TrySetException(ex);
            Environment.ExitCode = UnusableDatabaseExitCode;
            _lifetime.StopApplication();
            return;
        }
        _registered.TrySetResult();
        _logger.LogInformation("Worker {WorkerId} serves {Agents} with {Concurrency} slots",
            _options.WorkerId, string.Join(", ", _agentNames), _options.Concurrency);

        var agents = _agentNames.ToHashSet();
        var listening = _listener.RunAsync(WakeupChannel, agents.Contains, Wake, background.Token);
        var heartbeats = HeartbeatLoopAsync(background.Token);
        var reporting = _reporter.RunAsync(background.Token);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await DrainAsync(background.Token);
        _reporter.Complete();
        await reporting;
        background.Cancel();
        await Task.WhenAll(listening, heartbeats);
        _logger.LogInformation("Worker {WorkerId} stopped", _options.WorkerId);
    }

    private void Wake() => _wakeups.Writer.TryWrite(true);

    private Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        var queues = _options.Queues.Count == 0 ? null : _options.Queues.ToArray();
        return ClaimLoop.RunAsync(_slots, _options.ClaimBatchSize, _options.PollInterval, _wakeups.Reader,
            (free, ct) => ClaimAsync(free, queues, ct),
            Start, _logger, "steps", stoppingToken);
    }

    private async Task<ClaimLoop.Claimed<RunningStep>> ClaimAsync(int free, string[]? queues, CancellationToken cancellationToken)
    {
        using var span = WorkerTracing.StartClaim(_options.WorkerId, free);
        var claim = await _client.ClaimAsync(_options.WorkerId, _agentNames, free, _options.LeaseSeconds, queues, cancellationToken);
        span?.SetTag("agent_runtime.claimed", claim.Steps.Count);
        return new([.. claim.Steps.Select(step => new RunningStep(step, span?.Context ?? default))], claim.UntilDue);
    }

    private void Start(RunningStep running)
    {
        var step = running.Step;
        _held[step.StepId] = running;
        _metrics.Claimed(running.Agent);
        _runs[step.StepId] = Task.Run(async () =>
        {
            try
            {
                await RunAsync(running);
            }
            catch
            {
                Settle(running, "error");
                throw;
            }
            finally
            {
                _runs.TryRemove(step.StepId, out _);
            }
        });
    }

    /// <summary>The step's result is settled (or dropped): its lease is no longer ours to extend, and its slot is free.</summary>
    private void Settle(RunningStep running, string outcome)
    {
        _held.TryRemove(running.StepId, out _);
        if (running.TrySettle())
        {
            WorkerTracing.Settled(running, outcome);
            running.Span?.Dispose();
            _slots.Release();
        }
    }

    private async Task RunAsync(RunningStep running)
    {
        var context = running.Step.Context;
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["TaskId"] = context.TaskId,
            ["StepId"] = context.StepId,
            ["Agent"] = context.Agent,
            ["Attempt"] = context.Attempt,
        });
        using var run = CancellationTokenSource.CreateLinkedTokenSource(running.Abandon.Token);
        if (context.Timeout is { } timeout)
        {
            run.CancelAfter(timeout);
        }
        // Current during the run, so that what the agent calls (the database, HTTP) is part of the step's trace.
        running.Span = WorkerTracing.StartStep(running.Step, running.Claim);
        _metrics.Started(context.Agent, DateTimeOffset.UtcNow - running.Step.ClaimedAt);
        var clock = Stopwatch.StartNew();
        AgentResult result;
        try
        {
            result = running.Step.Unreadable is { } unreadable
                ? Unreadable(context, unreadable)
                : await _agents[context.Agent].InvokeAsync(context, run.Token);
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested && !running.Abandon.IsCancellationRequested)
        {
            // The shape the runtime gives a run that outlived its timeout when no host reported it.
            result = AgentResult.Fail(new JsonObject
            {
                ["code"] = "timeout",
                ["message"] = $"attempt {context.Attempt} ran past its timeout of {context.Timeout!.Value.TotalSeconds:0.###} s",
            });
        }
        catch (OperationCanceledException) when (running.Abandon.IsCancellationRequested)
        {
            result = AgentResult.Fail("abandoned");
        }
        catch (StaleLeaseException refused)
        {
            // A checkpoint or chunk was refused for its lease: the step is no longer this run's
            // (it expired and another run may hold it, or the step was canceled), so nothing the
            // run returns can count.
            _logger.LogInformation("Step {StepId} lost its lease while running: {Error}", context.StepId, refused.Message);
            running.AbandonAny("lease_lost");
            result = AgentResult.Fail("abandoned");
        }
        catch (Exception ex)
        {
            // The stack trace (source paths, internals) stays in this host's log; every client can
            // read the task's error.
            _logger.LogWarning(ex, "Agent {Agent} threw on step {StepId}", context.Agent, context.StepId);
            result = AgentResult.Fail(new JsonObject
            {
                ["message"] = ex.Message,
                ["type"] = ex.GetType().FullName,
            });
        }
        _metrics.Ran(context.Agent, clock.Elapsed);

        if (running.TryFinish())
        {
            _reporter.Enqueue(new PendingReport(running, result));
        }
        else
        {
            _metrics.Dropped(context.Agent);
            _logger.LogInformation("Dropped the result of step {StepId}: {Reason}", context.StepId, running.AbandonReason);
            Settle(running, "dropped");
        }
    }

    /// <summary>
    /// A step whose JSON this host cannot read fails for good, without its agent: another run
    /// would read the same row. Only its own task fails; the rest of the claim runs.
    /// </summary>
    private AgentResult Unreadable(AgentContext context, string reason)
    {
        _logger.LogWarning("Failing step {StepId} without running agent {Agent}: {Reason}", context.StepId, context.Agent, reason);
        return AgentResult.Fail(new JsonObject { ["message"] = reason, ["type"] = "unreadable_step" }, retryable: false);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var interval = _options.EffectiveHeartbeatInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, cancellationToken);
                var abandon = await _client.HeartbeatAsync(_options.WorkerId, _options.LeaseSeconds,
                    [.. _held.Values.Select(r => r.Step)], cancellationToken);
                foreach (var step in abandon)
                {
                    if (_held.TryRemove(step.StepId, out var running))
                    {
                        _logger.LogInformation("Abandoning step {StepId}: {Reason}", step.StepId, step.Outcome);
                        running.AbandonAny(step.Outcome);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning("Heartbeat failed ({Error}); leases are extended at the next one", ex.Message);
            }
        }
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var runs = _runs.Values.ToArray();
        if (runs.Length > 0)
        {
            _logger.LogInformation("Draining: waiting up to {Grace} for {Count} running steps",
                _options.ShutdownGracePeriod, runs.Length);
            await Task.WhenAny(Task.WhenAll(runs), Task.Delay(_options.ShutdownGracePeriod, cancellationToken));
        }

        var unfinished = _held.Values.Where(r => r.TryAbandonRunning("host shutting down")).ToList();
        if (unfinished.Count == 0)
        {
            return;
        }
        _logger.LogInformation("Handing back {Count} unfinished steps", unfinished.Count);
        try
        {
            await Retry.TransientAsync(ct => _client.ReleaseAsync([.. unfinished.Select(r => r.Step)], ct),
                _logger, "hand back unfinished steps", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Could not hand back {Count} steps; they run again when their leases expire", unfinished.Count);
        }
        foreach (var running in unfinished)
        {
            Settle(running, "released");
        }
        await Task.WhenAll(_runs.Values.ToArray());
    }

    private JsonObject WorkerInfo() => new()
    {
        ["host"] = Environment.MachineName,
        ["pid"] = Environment.ProcessId,
        ["version"] = typeof(WorkerService).Assembly.GetName().Version?.ToString(),
        ["concurrency"] = _options.Concurrency,
    };
}
