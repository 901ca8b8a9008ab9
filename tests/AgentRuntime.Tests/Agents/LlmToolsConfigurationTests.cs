using System.Text;
using AgentRuntime.Agents;
using Microsoft.Extensions.Configuration;

namespace AgentRuntime.Tests.Agents;

/// <summary>The tools of a configured llm agent: agents by name, MCP servers (stdio, or HTTP on loopback), MaxModelCalls.</summary>
public sealed class LlmToolsConfigurationTests
{
    private static IConfigurationSection AgentsSection(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("Agents");

    private static string Llm(string tools) => $$$"""
        {"Agents": {"Llm": [{"Name": "planner", "Endpoint": "http://127.0.0.1:8080/v1", "Model": "m", "Prompt": "p", {{{tools}}}}]}}
        """;

    [Fact]
    public void Reads_agents_mcp_servers_and_the_most_model_calls()
    {
        var (llm, _) = AgentsConfiguration.Read(AgentsSection(Llm("""
            "Tools": ["echo", "search.web"],
            "MaxModelCalls": "4",
            "McpServers": [
              {"Name": "files", "Command": "npx", "Arguments": ["-y", "server-filesystem", "/srv"], "Environment": {"TOKEN": "t"}, "WorkingDirectory": "/srv"},
              {"Name": "search", "Url": "http://127.0.0.1:3001/mcp"},
              {"Name": "local", "Url": "http://localhost:3002/mcp"},
              {"Name": "six", "Url": "http://[::1]:3003/mcp"}
            ]
            """)), ["echo"]);

        var planner = Assert.Single(llm);
        Assert.Equal(["echo", "search.web"], planner.Tools);
        Assert.Equal(4, planner.MaxModelCalls);
        Assert.Equal(["files", "search", "local", "six"], planner.McpServers.Select(s => s.Name));
        var files = planner.McpServers[0];
        Assert.Equal("npx", files.Command);
        Assert.Equal(["-y", "server-filesystem", "/srv"], files.Arguments);
        Assert.Equal("t", files.Environment["TOKEN"]);
        Assert.Equal("/srv", files.WorkingDirectory);
        Assert.Null(files.Url);
        Assert.Equal(new Uri("http://127.0.0.1:3001/mcp"), planner.McpServers[1].Url);
        Assert.Null(planner.McpServers[1].Command);
        Assert.DoesNotContain("TOKEN", files.ToString());
    }

    [Fact]
    public void Without_tools_an_agent_has_none_and_the_default_most_model_calls()
    {
        var (llm, _) = AgentsConfiguration.Read(AgentsSection(Llm("\"Description\": \"d\"")), []);

        Assert.Empty(llm[0].Tools);
        Assert.Empty(llm[0].McpServers);
        Assert.Equal(LlmAgentOptions.DefaultMaxModelCalls, llm[0].MaxModelCalls);
    }

    [Fact]
    public void A_map_of_mcp_servers_is_named_by_its_keys()
    {
        var (llm, _) = AgentsConfiguration.Read(AgentsSection(Llm("""
            "McpServers": {"files": {"Command": "mcp-files"}}
            """)), []);

        Assert.Equal("files", Assert.Single(llm[0].McpServers).Name);
    }

    [Theory]
    [InlineData("\"Tools\": \"echo\"", "Agents:Llm:0:Tools must be a list of agent names, like [\"echo\", \"search\"], not a single value")]
    [InlineData("\"Tools\": [\"bad name\"]", "Agents:Llm:0:Tools:0 'bad name' is not a valid agent name")]
    [InlineData("\"Tools\": [\"planner\"]", "Agents:Llm:0:Tools:0 'planner' is this agent itself, which would call itself without end")]
    [InlineData("\"Tools\": [\"a.b\", \"a_b\"]", "Agents:Llm:0:Tools:1 'a_b' has the same tool name as 'a.b' (a_b)")]
    [InlineData("\"MaxModelCalls\": \"0\"", "Agents:Llm:0:MaxModelCalls '0' must be a whole number from 1 to 1000")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\"}]",
        "Agents:Llm:0:McpServers:0 needs either Command (a program to start, spoken to over stdio) or Url (an http URL on this machine), not both")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Command\": \"c\", \"Url\": \"http://127.0.0.1/mcp\"}]",
        "Agents:Llm:0:McpServers:0 needs either Command (a program to start, spoken to over stdio) or Url (an http URL on this machine), not both")]
    [InlineData("\"McpServers\": [{\"Command\": \"c\"}]", "Agents:Llm:0:McpServers:0:Name is required (names the server in messages)")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Command\": \"c\"}, {\"Name\": \"x\", \"Command\": \"d\"}]",
        "Agents:Llm:0:McpServers:1:Name 'x' names another MCP server of this agent")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Url\": \"http://10.0.0.5:3001/mcp?key=secret\"}]",
        "Agents:Llm:0:McpServers:0:Url 'http://10.0.0.5:3001/mcp' is not on this machine: MCP servers are reached on loopback only")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Url\": \"http://mcp.example/mcp\"}]",
        "Agents:Llm:0:McpServers:0:Url 'http://mcp.example/mcp' is not on this machine")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Url\": \"ftp://127.0.0.1/mcp\"}]",
        "Agents:Llm:0:McpServers:0:Url 'ftp://127.0.0.1/mcp' is not an http(s) URL of an MCP server, like http://127.0.0.1:3001/mcp")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Url\": \"http://127.0.0.1/mcp\", \"Arguments\": [\"a\"]}]",
        "Agents:Llm:0:McpServers:0 has Arguments, Environment or WorkingDirectory, which only a Command takes")]
    [InlineData("\"McpServers\": [{\"Name\": \"x\", \"Command\": \"c\", \"Shell\": \"bash\"}]",
        "Agents:Llm:0:McpServers:0:Shell is not a setting of an MCP server (known: Name, Command, Arguments, Environment, WorkingDirectory, Url)")]
    [InlineData("\"McpServers\": \"c\"", "Agents:Llm:0:McpServers must be a list of Model Context Protocol servers, not a single value")]
    public void An_invalid_tool_setting_is_reported_naming_its_key(string tools, string expected)
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentsConfiguration.Read(AgentsSection(Llm(tools)), []));

        Assert.StartsWith(expected, error.Message);
    }
}
