using System.Globalization;
using System.Text.RegularExpressions;
using HandlebarsDotNet;
using Microsoft.Extensions.Configuration;

namespace AgentRuntime.Agents;

/// <summary>
/// Reads the configured agents: sections <c>Llm</c> and <c>Http</c>, each a list (entries name themselves
/// with <c>Name</c>) or a map keyed by agent name. Property names match the options records and, like
/// configuration binding, ignore case. Every problem is reported as the first one found, naming its key.
/// </summary>
internal static partial class AgentsConfiguration
{
    public const string LlmSection = "Llm";
    public const string HttpSection = "Http";

    // The rule register_agent enforces (agent_runtime._check_name), checked here so it fails at start-up.
    private const string NameRule = "1 to 100 letters, digits and _ . : / -, starting with a letter or digit";
    private const int MaxDescription = 4000;
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    private static readonly string[] LlmKeys =
        [
            "Name", "Description", "Endpoint", "ApiKey", "Model", "SystemPrompt", "Prompt", "ResponseFormat", "Temperature", "MaxOutputTokens",
            "Timeout", "Tools", "McpServers", "MaxModelCalls",
        ];

    private static readonly string[] McpKeys = ["Name", "Command", "Arguments", "Environment", "WorkingDirectory", "Url"];
    private const int MaxModelCallsLimit = 1000;

    private static readonly string[] HttpKeys = ["Name", "Description", "Url", "Headers", "Timeout"];

    // Headers the agent sets itself, or that HttpClient derives from the request.
    private static readonly string[] ReservedHeaders =
        ["Content-Type", "Content-Length", "Host", "Transfer-Encoding", HttpAgent.TaskIdHeader, HttpAgent.StepIdHeader, HttpAgent.AttemptHeader];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")]
    private static partial Regex AgentName();

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex HeaderName();

    /// <exception cref="AgentConfigurationException">The first invalid setting.</exception>
    public static (List<LlmAgentOptions> Llm, List<HttpAgentOptions> Http) Read(IConfiguration agents, IReadOnlyCollection<string> builtInNames)
    {
        var unknown = agents.GetChildren().FirstOrDefault(c => !c.Key.Equals(LlmSection, StringComparison.OrdinalIgnoreCase)
                                                              && !c.Key.Equals(HttpSection, StringComparison.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw new AgentConfigurationException(unknown.Path, $"is not a kind of configured agent (known: {LlmSection}, {HttpSection})");
        }

        var owners = builtInNames.ToDictionary(n => n, n => $"the built-in {n} agent", StringComparer.Ordinal);
        var llm = Entries(agents, LlmSection, "LLM agents").Select(e => ReadLlm(e, owners)).ToList();
        var http = Entries(agents, HttpSection, "HTTP agents").Select(e => ReadHttp(e, owners)).ToList();
        return (llm, http);
    }

    private static IEnumerable<IConfigurationSection> Entries(IConfiguration agents, string name, string what)
    {
        var section = agents.GetSection(name);
        if (!string.IsNullOrEmpty(section.Value))
        {
            throw new AgentConfigurationException(section.Path, $"must be a list or a map of {what}, not a single value");
        }

        foreach (var entry in section.GetChildren())
        {
            if (entry.Value is not null)
            {
                throw new AgentConfigurationException(entry.Path, $"must be an object with the settings of one of the {what}");
            }

            yield return entry;
        }
    }

    private static LlmAgentOptions ReadLlm(IConfigurationSection entry, Dictionary<string, string> owners)
    {
        CheckKeys(entry, LlmKeys, "an LLM agent");
        var responseFormat = Optional(entry, "ResponseFormat");
        var name = ReadName(entry, owners);
        return new LlmAgentOptions
        {
            Name = name,
            Description = ReadDescription(entry),
            Endpoint = RequiredUrl(entry, "Endpoint", "an http(s) URL of an OpenAI-compatible API, like http://127.0.0.1:8080/v1"),
            ApiKey = Optional(entry, "ApiKey") ?? "",
            Model = Optional(entry, "Model") ?? throw Problem(entry, "Model", "is required (the model the endpoint serves, like gpt-4o-mini)"),
            SystemPrompt = Template(entry, "SystemPrompt", required: false),
            Prompt = Template(entry, "Prompt", required: true)!,
            ResponseFormat = responseFormat is null ? LlmResponseFormat.Text
                : Enum.TryParse<LlmResponseFormat>(responseFormat, ignoreCase: true, out var format) && !int.TryParse(responseFormat, out _) ? format
                : throw Problem(entry, "ResponseFormat", $"'{responseFormat}' must be text or json"),
            Temperature = (float?)Number(entry, "Temperature", 0, 2),
            MaxOutputTokens = (int?)Number(entry, "MaxOutputTokens", 1, int.MaxValue, whole: true),
            Timeout = ReadTimeout(entry, LlmAgentOptions.DefaultTimeout),
            Tools = ReadTools(entry, name),
            McpServers = ReadMcpServers(entry),
            MaxModelCalls = (int?)Number(entry, "MaxModelCalls", 1, MaxModelCallsLimit, whole: true) ?? LlmAgentOptions.DefaultMaxModelCalls,
        };
    }

    // None: the shared empty list, as in options built in code, so that equal options compare equal.
    private static IReadOnlyList<T> ListOrNone<T>(List<T> items) => items.Count == 0 ? Array.Empty<T>() : items;

    private static IReadOnlyList<string> ReadTools(IConfigurationSection entry, string agentName)
    {
        var tools = new List<string>();
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tool in List(entry, "Tools", "agent names, like [\"echo\", \"search\"]"))
        {
            var name = tool.Value?.Trim();
            if (string.IsNullOrEmpty(name) || !AgentName().IsMatch(name))
            {
                throw new AgentConfigurationException(tool.Path, $"'{name}' is not a valid agent name ({NameRule})");
            }

            if (name == agentName)
            {
                throw new AgentConfigurationException(tool.Path, $"'{name}' is this agent itself, which would call itself without end");
            }

            // The model knows a tool by a name of A-Za-z0-9_- only: two agents must not come out the same.
            if (toolNames.TryGetValue(LlmToolbox.ToolName(name), out var other))
            {
                throw new AgentConfigurationException(tool.Path, $"'{name}' has the same tool name as '{other}' ({LlmToolbox.ToolName(name)})");
            }

            toolNames[LlmToolbox.ToolName(name)] = name;
            tools.Add(name);
        }

        return ListOrNone(tools);
    }

    private static IReadOnlyList<McpServerOptions> ReadMcpServers(IConfigurationSection entry)
    {
        var servers = new List<McpServerOptions>();
        foreach (var server in List(entry, "McpServers", "Model Context Protocol servers"))
        {
            if (server.Value is not null)
            {
                throw new AgentConfigurationException(server.Path, "must be an object with the settings of one MCP server");
            }

            CheckKeys(server, McpKeys, "an MCP server");
            var isListEntry = int.TryParse(server.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            var name = Optional(server, "Name") ?? (isListEntry ? null : server.Key)
                ?? throw Problem(server, "Name", "is required (names the server in messages)");
            if (servers.Any(s => s.Name == name))
            {
                throw Problem(server, "Name", $"'{name}' names another MCP server of this agent");
            }

            var command = Optional(server, "Command");
            var url = Optional(server, "Url");
            if ((command is null) == (url is null))
            {
                throw new AgentConfigurationException(server.Path,
                    "needs either Command (a program to start, spoken to over stdio) or Url (an http URL on this machine), not both");
            }

            Uri? endpoint = null;
            if (url is not null)
            {
                endpoint = RequiredUrl(server, "Url", "an http(s) URL of an MCP server, like http://127.0.0.1:3001/mcp");
                if (!SafeUrl.IsLoopback(endpoint))
                {
                    throw Problem(server, "Url", $"'{SafeUrl.Display(endpoint)}' is not on this machine: MCP servers are reached on loopback only " +
                        "(127.0.0.1, ::1, localhost); start a remote server's tools through a local command instead");
                }
            }

            if (command is null && (server.GetSection("Arguments").Exists() || server.GetSection("Environment").Exists() ||
                                    server.GetSection("WorkingDirectory").Exists()))
            {
                throw new AgentConfigurationException(server.Path, "has Arguments, Environment or WorkingDirectory, which only a Command takes");
            }

            servers.Add(new McpServerOptions
            {
                Name = name,
                Command = command,
                Arguments = [.. List(server, "Arguments", "command-line arguments").Select(a => a.Value ?? "")],
                Environment = ReadMap(server, "Environment", "variable names to values, like {\"API_TOKEN\": \"...\"}"),
                WorkingDirectory = Optional(server, "WorkingDirectory"),
                Url = endpoint,
            });
        }

        return ListOrNone(servers);
    }

    /// <summary>The entries of a list setting, in order.</summary>
    private static IEnumerable<IConfigurationSection> List(IConfigurationSection entry, string key, string what)
    {
        var section = entry.GetSection(key);
        if (!string.IsNullOrEmpty(section.Value))
        {
            throw new AgentConfigurationException(section.Path, $"must be a list of {what}, not a single value");
        }

        // Configuration orders a list's numeric keys as numbers.
        return section.GetChildren();
    }

    private static Dictionary<string, string> ReadMap(IConfigurationSection entry, string key, string what)
    {
        var section = entry.GetSection(key);
        if (!string.IsNullOrEmpty(section.Value))
        {
            throw new AgentConfigurationException(section.Path, $"must be a map of {what}");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in section.GetChildren())
        {
            // The value is not quoted in messages: it may be a credential.
            map[item.Key] = item.Value ?? throw new AgentConfigurationException(item.Path, "must be a text value");
        }

        return map;
    }

    private static HttpAgentOptions ReadHttp(IConfigurationSection entry, Dictionary<string, string> owners)
    {
        CheckKeys(entry, HttpKeys, "an HTTP agent");
        return new HttpAgentOptions
        {
            Name = ReadName(entry, owners),
            Description = ReadDescription(entry),
            Url = RequiredUrl(entry, "Url", "the http(s) URL the agent POSTs its input to"),
            Headers = ReadHeaders(entry),
            Timeout = ReadTimeout(entry, HttpAgentOptions.DefaultTimeout),
        };
    }

    private static void CheckKeys(IConfigurationSection entry, string[] known, string what)
    {
        var unknown = entry.GetChildren().FirstOrDefault(c => !known.Contains(c.Key, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw new AgentConfigurationException(unknown.Path, $"is not a setting of {what} (known: {string.Join(", ", known)})");
        }
    }

    private static string ReadName(IConfigurationSection entry, Dictionary<string, string> owners)
    {
        // A map entry is named by its key; a list entry must say its name.
        var isListEntry = int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        var name = Optional(entry, "Name") ?? (isListEntry ? null : entry.Key)
            ?? throw Problem(entry, "Name", "is required (the agent name tasks target)");
        if (!AgentName().IsMatch(name))
        {
            throw Problem(entry, "Name", $"'{name}' is not a valid agent name ({NameRule})");
        }

        if (owners.TryGetValue(name, out var owner))
        {
            throw Problem(entry, "Name", $"'{name}' is already taken by {owner}");
        }

        owners[name] = entry.Path;
        return name;
    }

    private static string ReadDescription(IConfigurationSection entry)
    {
        var description = Optional(entry, "Description") ?? "";
        return description.Length <= MaxDescription ? description
            : throw Problem(entry, "Description", $"has {description.Length} characters, over the limit of {MaxDescription}");
    }

    private static Uri RequiredUrl(IConfigurationSection entry, string key, string what)
    {
        var value = Optional(entry, key) ?? throw Problem(entry, key, $"is required ({what})");
        return Uri.TryCreate(value, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw Problem(entry, key, $"'{value}' is not {what}");
    }

    private static string? Template(IConfigurationSection entry, string key, bool required)
    {
        var source = Optional(entry, key);
        if (source is null)
        {
            return required ? throw Problem(entry, key, "is required (a Handlebars template, like \"Summarize: {{input.text}}\")") : null;
        }

        try
        {
            PromptTemplate.Compile(source);
            return source;
        }
        catch (HandlebarsException e)
        {
            throw Problem(entry, key, $"is not a valid Handlebars template: {e.Message}");
        }
    }

    private static double? Number(IConfigurationSection entry, string key, double min, double max, bool whole = false)
    {
        var value = Optional(entry, key);
        if (value is null)
        {
            return null;
        }

        var style = whole ? NumberStyles.Integer : NumberStyles.Float;
        if (double.TryParse(value, style, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        var kind = whole ? "a whole number" : "a number";
        var range = max == int.MaxValue ? $"of at least {min}" : $"from {min} to {max}";
        throw Problem(entry, key, $"'{value}' must be {kind} {range}");
    }

    private static TimeSpan ReadTimeout(IConfigurationSection entry, TimeSpan defaultTimeout)
    {
        var value = Optional(entry, "Timeout");
        if (value is null)
        {
            return defaultTimeout;
        }

        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero && timeout <= MaxTimeout)
        {
            return timeout;
        }

        // TimeSpan reads a bare number as days, so "30" would otherwise mean a month.
        var hint = timeout > MaxTimeout ? $", and '{value}' means {timeout.TotalDays:0.##} days" : "";
        throw Problem(entry, "Timeout", $"'{value}' must be a time span over zero and up to a day, like 00:00:30{hint}");
    }

    private static Dictionary<string, string> ReadHeaders(IConfigurationSection entry)
    {
        var section = entry.GetSection("Headers");
        if (!string.IsNullOrEmpty(section.Value))
        {
            throw new AgentConfigurationException(section.Path, "must be a map of header names to values, like {\"Authorization\": \"Bearer ...\"}");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in section.GetChildren())
        {
            if (!HeaderName().IsMatch(header.Key))
            {
                throw new AgentConfigurationException(header.Path, "is not a valid HTTP header name");
            }

            if (ReservedHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new AgentConfigurationException(header.Path, "is set by the agent itself; remove it");
            }

            // The value is not quoted in messages: headers often carry credentials.
            if (header.Value is null || header.Value.Contains('\r') || header.Value.Contains('\n'))
            {
                throw new AgentConfigurationException(header.Path, "must be a single-line text value");
            }

            headers[header.Key] = header.Value;
        }

        return headers;
    }

    /// <summary>The trimmed value, or null when the key is absent or blank (as an emptied environment variable is).</summary>
    private static string? Optional(IConfigurationSection entry, string key)
    {
        var value = entry[key]?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static AgentConfigurationException Problem(IConfigurationSection entry, string key, string problem) =>
        new($"{entry.Path}:{key}", problem);
}
