using System.Text;
using AgentRuntime.Agents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentRuntime.Tests.Agents;

public sealed class AgentsConfigurationTests
{
    private const string Appsettings = """
        {
          "Agents": {
            "Llm": [
              {
                "Name": "writer",
                "Endpoint": "http://127.0.0.1:8080/v1",
                "Model": "gpt-4o-mini",
                "Prompt": "Summarize: {{input.text}}"
              }
            ],
            "Http": [{"Name": "notify", "Url": "http://127.0.0.1:9000/hook"}]
          }
        }
        """;

    private static IConfigurationSection AgentsSection(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("Agents");

    private static List<IAgent> Resolve(IConfiguration agents)
    {
        using var provider = new ServiceCollection().AddBuiltInAgents(agents).BuildServiceProvider();
        return provider.GetServices<IAgent>().ToList();
    }

    [Fact]
    public void The_documented_appsettings_shape_registers_the_built_in_and_the_configured_agents()
    {
        var agents = Resolve(AgentsSection(Appsettings));

        Assert.Equal(["echo", "summarize", "extract_entities", "writer", "notify"], agents.Select(a => a.Name));
        Assert.IsType<LlmAgent>(agents[3]);
        Assert.IsType<HttpAgent>(agents[4]);
        Assert.Equal("Asks gpt-4o-mini at http://127.0.0.1:8080/v1.", agents[3].Description);
    }

    [Fact]
    public void No_agents_section_still_registers_the_built_in_agents()
    {
        var agents = Resolve(new ConfigurationBuilder().Build().GetSection("Agents"));

        Assert.Equal(["echo", "summarize", "extract_entities"], agents.Select(a => a.Name));
    }

    [Fact]
    public void A_map_keyed_by_name_reads_every_setting_ignoring_case()
    {
        var (llm, http) = AgentsConfiguration.Read(AgentsSection("""
            {
              "Agents": {
                "Llm": {
                  "classifier": {
                    "description": "Sorts tickets",
                    "endpoint": "https://llm.example/v1",
                    "apiKey": "sk-test",
                    "model": "small",
                    "systemPrompt": "You sort tickets.",
                    "prompt": "{{input}}",
                    "responseFormat": "JSON",
                    "temperature": "0.5",
                    "maxOutputTokens": "300",
                    "timeout": "00:00:45"
                  }
                },
                "Http": {
                  "notify": {"Url": "https://hooks.example/x", "Headers": {"Authorization": "Bearer k"}, "Timeout": "00:00:05"}
                }
              }
            }
            """), ["echo"]);

        var classifier = Assert.Single(llm);
        Assert.Equal(
            new LlmAgentOptions
            {
                Name = "classifier",
                Description = "Sorts tickets",
                Endpoint = new Uri("https://llm.example/v1"),
                ApiKey = "sk-test",
                Model = "small",
                SystemPrompt = "You sort tickets.",
                Prompt = "{{input}}",
                ResponseFormat = LlmResponseFormat.Json,
                Temperature = 0.5f,
                MaxOutputTokens = 300,
                Timeout = TimeSpan.FromSeconds(45),
            },
            classifier);
        var notify = Assert.Single(http);
        Assert.Equal("notify", notify.Name);
        Assert.Equal(new Uri("https://hooks.example/x"), notify.Url);
        Assert.Equal("Bearer k", notify.Headers["Authorization"]);
        Assert.Equal(TimeSpan.FromSeconds(5), notify.Timeout);
    }

    [Fact]
    public void Settings_from_environment_variables_use_the_same_keys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Llm:0:Name"] = "writer",
            ["Agents:Llm:0:Endpoint"] = "http://127.0.0.1:8080/v1",
            ["Agents:Llm:0:Model"] = "local",
            ["Agents:Llm:0:Prompt"] = "{{input.text}}",
            ["Agents:Llm:0:ApiKey"] = "",
        }).Build();

        var (llm, http) = AgentsConfiguration.Read(configuration.GetSection("Agents"), []);

        Assert.Equal("", Assert.Single(llm).ApiKey);
        Assert.Equal(LlmAgentOptions.DefaultTimeout, llm[0].Timeout);
        Assert.Empty(http);
    }

    [Theory]
    [InlineData("""{"Llm": [{"Name": "writer", "Model": "m", "Prompt": "p"}]}""",
        "Agents:Llm:0:Endpoint is required (an http(s) URL of an OpenAI-compatible API, like http://127.0.0.1:8080/v1)")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "localhost:8080", "Model": "m", "Prompt": "p"}]}""",
        "Agents:Llm:0:Endpoint 'localhost:8080' is not an http(s) URL of an OpenAI-compatible API, like http://127.0.0.1:8080/v1")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Prompt": "p"}]}""",
        "Agents:Llm:0:Model is required (the model the endpoint serves, like gpt-4o-mini)")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m"}]}""",
        "Agents:Llm:0:Prompt is required (a Handlebars template, like \"Summarize: {{input.text}}\")")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "{{#each input.items}}x"}]}""",
        "Agents:Llm:0:Prompt is not a valid Handlebars template: Reached end of template before block expression '#each' was closed")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "SystemPrompt": "{{/if}}"}]}""",
        "Agents:Llm:0:SystemPrompt is not a valid Handlebars template: A closing element '/if' was found without a matching open element")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "ResponseFormat": "xml"}]}""",
        "Agents:Llm:0:ResponseFormat 'xml' must be text or json")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "Temperature": "hot"}]}""",
        "Agents:Llm:0:Temperature 'hot' must be a number from 0 to 2")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "MaxOutputTokens": 0}]}""",
        "Agents:Llm:0:MaxOutputTokens '0' must be a whole number of at least 1")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "Timeout": "30"}]}""",
        "Agents:Llm:0:Timeout '30' must be a time span over zero and up to a day, like 00:00:30, and '30' means 30 days")]
    [InlineData("""{"Llm": [{"Name": "writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p", "Promt": "typo"}]}""",
        "Agents:Llm:0:Promt is not a setting of an LLM agent (known: Name, Description, Endpoint, ApiKey, Model, SystemPrompt, Prompt, ResponseFormat, Temperature, MaxOutputTokens, Timeout, Tools, McpServers, MaxModelCalls)")]
    [InlineData("""{"Llm": [{"Endpoint": "http://h/v1", "Model": "m", "Prompt": "p"}]}""",
        "Agents:Llm:0:Name is required (the agent name tasks target)")]
    [InlineData("""{"Llm": [{"Name": "my writer", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p"}]}""",
        "Agents:Llm:0:Name 'my writer' is not a valid agent name (1 to 100 letters, digits and _ . : / -, starting with a letter or digit)")]
    [InlineData("""{"Llm": [{"Name": "summarize", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "p"}]}""",
        "Agents:Llm:0:Name 'summarize' is already taken by the built-in summarize agent")]
    [InlineData("""{"Llm": {"notify": {"Endpoint": "http://h/v1", "Model": "m", "Prompt": "p"}}, "Http": [{"Name": "notify", "Url": "http://h/x"}]}""",
        "Agents:Http:0:Name 'notify' is already taken by Agents:Llm:notify")]
    [InlineData("""{"Llm": "writer"}""",
        "Agents:Llm must be a list or a map of LLM agents, not a single value")]
    [InlineData("""{"Http": ["http://h/x"]}""",
        "Agents:Http:0 must be an object with the settings of one of the HTTP agents")]
    [InlineData("""{"Http": [{"Name": "notify"}]}""",
        "Agents:Http:0:Url is required (the http(s) URL the agent POSTs its input to)")]
    [InlineData("""{"Http": [{"Name": "notify", "Url": "file:///etc/passwd"}]}""",
        "Agents:Http:0:Url 'file:///etc/passwd' is not the http(s) URL the agent POSTs its input to")]
    [InlineData("""{"Http": [{"Name": "notify", "Url": "http://h/x", "Headers": {"Content-Type": "text/plain"}}]}""",
        "Agents:Http:0:Headers:Content-Type is set by the agent itself; remove it")]
    [InlineData("""{"Http": [{"Name": "notify", "Url": "http://h/x", "Headers": {"Bad Header": "x"}}]}""",
        "Agents:Http:0:Headers:Bad Header is not a valid HTTP header name")]
    [InlineData("""{"Http": [{"Name": "notify", "Url": "http://h/x", "Timeout": "soon"}]}""",
        "Agents:Http:0:Timeout 'soon' must be a time span over zero and up to a day, like 00:00:30")]
    [InlineData("""{"Http": [{"Name": "notify", "Url": "http://h/x", "Method": "PUT"}]}""",
        "Agents:Http:0:Method is not a setting of an HTTP agent (known: Name, Description, Url, Headers, Timeout)")]
    public void An_invalid_setting_fails_resolution_with_one_line_naming_the_key(string agentsJson, string expected)
    {
        var agents = AgentsSection($$"""{"Agents": {{agentsJson}}}""");
        var services = new ServiceCollection().AddBuiltInAgents(agents);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<AgentConfigurationException>(() => provider.GetServices<IAgent>().ToList());

        Assert.Equal(expected, error.Message);
        Assert.StartsWith(error.Key + " ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_template_error_spanning_lines_is_reported_on_one_line()
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentsConfiguration.Read(AgentsSection("""
            {"Agents": {"Llm": [{"Name": "w", "Endpoint": "http://h/v1", "Model": "m", "Prompt": "line one\n{{input.text"}]}}
            """), []));

        Assert.StartsWith("Agents:Llm:0:Prompt is not a valid Handlebars template: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_configured_http_agent_uses_the_registered_http_client_factory()
    {
        await using var stub = new StubHttpServer(_ => new StubResponse(200, """{"ok": true}"""));
        var agents = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Http:notify:Url"] = new Uri(stub.BaseUri, "hook").ToString(),
            ["Agents:Http:notify:Headers:X-Tenant"] = "acme",
        }).Build().GetSection("Agents");
        await using var provider = new ServiceCollection().AddBuiltInAgents(agents).BuildServiceProvider();

        var notify = provider.GetServices<IAgent>().Single(a => a.Name == "notify");
        var output = Steps.Completed(await notify.InvokeAsync(Steps.Text("hi"), CancellationToken.None));

        Assert.True((bool)output["ok"]!);
        Assert.Equal("acme", stub.SingleRequest().Headers["X-Tenant"]);
    }
}
