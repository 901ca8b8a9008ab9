using System.CommandLine;
using System.Globalization;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary><c>agent-runtime tasks</c>: a page of tasks, newest first.</summary>
internal static class TasksCommand
{
    public static Command Create()
    {
        var status = new Option<string[]>("--status", "-s")
        {
            Description = "Only tasks with this status (submitted, working, input-required, auth-required, completed, failed, canceled, rejected); repeat for several.",
            HelpName = "status",
        };
        status.AcceptOnlyFromAmong(TaskStatuses.Submitted, TaskStatuses.Working, TaskStatuses.InputRequired,
            TaskStatuses.AuthRequired, TaskStatuses.Completed, TaskStatuses.Failed, TaskStatuses.Canceled, TaskStatuses.Rejected);
        var target = new Option<string?>("--target", "-t") { Description = "Only tasks of this agent." };
        var queue = new Option<string?>("--queue") { Description = "Only tasks in this queue." };
        var session = new Option<string?>("--session") { Description = "Only tasks of this session." };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "Tasks per page, 1..1000.",
            DefaultValueFactory = _ => 50,
        };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                result.AddError("--limit must be from 1 to 1000.");
            }
        });
        var pageToken = new Option<string?>("--page-token")
        {
            Description = "Continue after the page that printed this token (with the same filters).",
            HelpName = "token",
        };
        var json = ClientCommand.JsonOption("the page ({\"items\": [...], \"next_page_token\": ...})");
        var connection = ConnectionSettings.Option();

        var command = new Command("tasks", "List tasks, newest first, as a table; prints the token of the next page when there is one.")
        {
            status, target, queue, session, limit, pageToken, json, connection,
        };
        command.SetAction((parseResult, invocationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var filter = new TaskFilter
            {
                Status = parseResult.GetValue(status),
                Target = parseResult.GetValue(target),
                Queue = parseResult.GetValue(queue),
                SessionId = parseResult.GetValue(session),
            };
            return ClientCommand.RunAsync("tasks", parseResult.GetValue(connection), parseResult.InvocationConfiguration.Error, async (client, cancellationToken) =>
            {
                var page = await client.ListAsync(filter, parseResult.GetValue(limit), parseResult.GetValue(pageToken), cancellationToken);
                // A task the client cannot read is listed all the same, and named on stderr.
                var unreadable = page.Items.Where(t => t.Unreadable is not null).ToList();
                foreach (var task in unreadable)
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"agent-runtime tasks: {task.Unreadable}");
                }
                var done = unreadable.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
                if (parseResult.GetValue(json))
                {
                    await ClientOutput.WriteJsonAsync(output, page);
                    return done;
                }
                if (page.Items.Count == 0)
                {
                    await output.WriteLineAsync("no tasks");
                    return done;
                }
                var table = new TextTable("TASK", "TARGET", "STATUS", "ATTEMPTS", "CREATED", "UPDATED");
                foreach (var task in page.Items)
                {
                    table.Add(task.TaskId.ToString(), task.Target, task.Status, task.Attempts.ToString(CultureInfo.InvariantCulture),
                        ClientOutput.Time(task.CreatedAt), ClientOutput.Time(task.UpdatedAt));
                }
                await table.WriteAsync(output);
                if (page.NextPageToken is { } next)
                {
                    await output.WriteLineAsync($"next page: --page-token {next}");
                }
                return done;
            }, invocationToken);
        });
        return command;
    }
}
