using System.Globalization;
using AgentRuntime.Client;
using static AgentRuntime.Cli.ClientOutput;

namespace AgentRuntime.Cli;

/// <summary>A task for people: <c>get</c> shows all of it, <c>submit --wait</c> how it ended.</summary>
internal static class TaskView
{
    public static async Task WriteAsync(TextWriter output, TaskDetails task)
    {
        await WriteFieldsAsync(output,
            ("task_id", task.TaskId.ToString()),
            ("session_id", task.SessionId),
            ("target", task.Target),
            ("status", task.Status),
            ("queue", task.Queue),
            ("priority", task.Priority.ToString(CultureInfo.InvariantCulture)),
            ("attempts", Attempts(task)),
            ("created_at", Time(task.CreatedAt)),
            ("updated_at", Time(task.UpdatedAt)),
            ("completed_at", task.CompletedAt is null ? null : Time(task.CompletedAt)),
            ("app_name", task.AppName),
            ("user_id", task.UserId),
            ("idempotency_key", task.IdempotencyKey),
            ("cancel_reason", task.CancelReason),
            ("metadata", task.Metadata.Count == 0 ? null : Json(task.Metadata)),
            ("input", Json(task.Input)),
            ("output", task.Output is null ? null : Json(task.Output)),
            ("error", task.Error is null ? null : Json(task.Error)));

        await output.WriteLineAsync();
        var steps = new TextTable("STEP", "KEY", "AGENT", "STATUS", "ATTEMPT", "WORKER", "STARTED", "COMPLETED", "ERROR");
        foreach (var step in task.Steps)
        {
            steps.Add(
                step.StepId.ToString(CultureInfo.InvariantCulture), step.Key, step.Agent,
                step.CancelRequested && step.Status == "running" ? "running (cancel requested)" : step.Status,
                $"{step.Attempt}/{step.MaxAttempts}", step.LeasedBy ?? "-", Time(step.StartedAt), Time(step.CompletedAt),
                Json(step.Error));
        }
        await steps.WriteAsync(output);
    }

    /// <summary>How a finished task ended: its status, attempts and output or error.</summary>
    public static Task WriteOutcomeAsync(TextWriter output, TaskDetails task) =>
        WriteFieldsAsync(output,
            ("status", task.Status),
            ("attempts", Attempts(task)),
            ("completed_at", task.CompletedAt is null ? null : Time(task.CompletedAt)),
            ("cancel_reason", task.CancelReason),
            ("output", task.Status == TaskStatuses.Completed ? Json(task.Output) : null),
            ("error", task.Error is null ? null : Json(task.Error)));

    private static string Attempts(TaskDetails task) => $"{task.Attempts} of {task.MaxAttempts}";
}
