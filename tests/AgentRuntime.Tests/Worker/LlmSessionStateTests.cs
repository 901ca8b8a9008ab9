using System.Text.Json.Nodes;
using AgentRuntime.Client;
using AgentRuntime.Host;
using AgentRuntime.Host.Worker;
using AgentRuntime.Sessions;
using AgentRuntime.Tests.Agents;
using AgentRuntime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentRuntime.Tests.Worker;

/// <summary>Agents in the host read their session's state through the client library.</summary>
public sealed class LlmSessionStateTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_llm_prompt_is_rendered_over_the_session_state()
    {
        await using var stub = new StubHttpServer(_ => ChatStream.Reply("Hello Ada!"));
        var builder = AgentRuntimeHost.CreateBuilder(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Worker:WorkerId"] = "llm-host",
            ["Worker:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Agents:Llm:0:Name"] = "greeter",
            ["Agents:Llm:0:Endpoint"] = new Uri(stub.BaseUri, "v1").ToString(),
            ["Agents:Llm:0:Model"] = "stub-model",
            ["Agents:Llm:0:Prompt"] = "Greet {{state.[user:name]}}, who likes {{state.color}}: {{input.text}}",
        });
        using var host = builder.Build();
        Assert.Null(AgentRuntimeHost.ValidateConfiguration(host.Services));
        await host.StartAsync();
        await host.Services.GetRequiredService<WorkerService>().Registered.WaitAsync(TimeSpan.FromSeconds(30));
        var session = await new SessionClient(db.DataSource).CreateAsync("greetings", "ada",
            new JsonObject { ["user:name"] = "Ada", ["color"] = "green" });
        var client = new TaskClient(db.DataSource);

        var task = await client.SubmitAsync("greeter", new JsonObject { ["text"] = "say hi" }, session.Id);
        var done = await client.WaitAsync(task.TaskId, TimeSpan.FromSeconds(30));

        Assert.Equal("completed", done.Status);
        Assert.Equal("Hello Ada!", (string?)done.Output?["text"]);
        Assert.Contains("Greet Ada, who likes green: say hi", stub.SingleRequest().Body);
        await host.StopAsync();
    }
}
