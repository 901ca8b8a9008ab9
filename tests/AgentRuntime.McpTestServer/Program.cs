using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// Tools: add (a sum, as text), shout (its text in capitals) and fail (a tool error). Every call is
// appended to the file named by MCP_TEST_CALLS, when set, so a test can count what the server ran.
var calls = Environment.GetEnvironmentVariable("MCP_TEST_CALLS");

void Record(string line)
{
    if (!string.IsNullOrEmpty(calls))
    {
        File.AppendAllText(calls, line + "\n");
    }
}

var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "agent-runtime-test-tools", Version = "1.0.0" },
    ToolCollection =
    [
        McpServerTool.Create([Description("Adds two numbers.")] (int a, int b) =>
        {
            Record($"add {a} {b}");
            return (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, new McpServerToolCreateOptions { Name = "add" }),
        McpServerTool.Create([Description("Says the text in capitals.")] (string text) =>
        {
            Record($"shout {text}");
            return text.ToUpperInvariant();
        }, new McpServerToolCreateOptions { Name = "shout" }),
        McpServerTool.Create([Description("Always fails.")] () =>
        {
            Record("fail");
            throw new McpException("the tool failed, as it always does");
        }, new McpServerToolCreateOptions { Name = "fail" }),
    ],
};

await using var server = McpServer.Create(new StdioServerTransport(options), options);
await server.RunAsync();
