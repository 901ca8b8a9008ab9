using System.CommandLine;
using AgentRuntime.Cli;

var root = new RootCommand("AgentRuntime: a durable runtime for AI agents on PostgreSQL.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(PostgresCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(GetCommand.Create());
root.Subcommands.Add(TasksCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(CancelCommand.Create());
root.Subcommands.Add(RetryCommand.Create());
return await CliInvocation.InvokeAsync(root, args);
