using System.CommandLine;
using AgentRuntime.Cli;

var root = new RootCommand("AgentRuntime: a durable runtime for AI agents on PostgreSQL.");
root.Subcommands.Add(MigrateCommand.Create());
return await root.Parse(args).InvokeAsync();
