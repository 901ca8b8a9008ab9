using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using AgentRuntime.Cli;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;

namespace AgentRuntime.Tests.Cli;

/// <summary>
/// `agent-runtime submit` has a flag for every task option of option_catalog(), named after it
/// (backoff_seconds: --backoff-seconds), taking a value of the option's type, whose help states the
/// catalog's range and default. The catalog is read from the database, so the CLI cannot drift
/// from what submit_task accepts.
/// </summary>
public sealed partial class SubmitHelpTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private sealed record CatalogOption(string Name, string Type, decimal? Minimum, decimal? Maximum, string? Default, string Description);

    // The sentence of a description that states a default it cannot write as a value ("Default: none.").
    [GeneratedRegex(@"Default: [^\n]*?\.$")]
    private static partial Regex DefaultSentence();

    private async Task<List<CatalogOption>> TaskOptionsAsync() =>
        (await _rt.RowsAsync(
            "select name, type, minimum, maximum, default_value #>> '{}', description from agent_runtime.option_catalog() where scope = 'task'"))
        .Select(r => new CatalogOption((string)r[0]!, (string)r[1]!, (decimal?)r[2], (decimal?)r[3], (string?)r[4], (string)r[5]!))
        .ToList();

    private static Option Flag(Command submit, string option) =>
        submit.Options.SingleOrDefault(o => o.Name == "--" + option.Replace('_', '-'))
        ?? throw new Xunit.Sdk.XunitException($"submit has no flag for the task option {option}");

    private static string Number(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Every_task_option_has_a_flag_of_its_name_and_type()
    {
        var submit = SubmitCommand.Create();
        var options = await TaskOptionsAsync();
        Assert.True(options.Count >= 15, $"only {options.Count} task options in the catalog");

        foreach (var option in options)
        {
            var expected = option.Type switch
            {
                "integer" => typeof(int?),
                "number" => typeof(double?),
                "timestamp" => typeof(DateTimeOffset?),
                "identifier" or "name" or "object" => typeof(string),
                _ => throw new Xunit.Sdk.XunitException($"no CLI type for the option type {option.Type} ({option.Name})"),
            };
            Assert.True(Flag(submit, option.Name).ValueType == expected,
                $"--{option.Name.Replace('_', '-')} takes {Flag(submit, option.Name).ValueType}, the catalog says {option.Type}");
        }
    }

    [Fact]
    public async Task Every_task_option_flag_states_the_catalog_range_and_default()
    {
        var submit = SubmitCommand.Create();

        foreach (var option in await TaskOptionsAsync())
        {
            var help = Flag(submit, option.Name).Description ?? "";
            var flag = "--" + option.Name.Replace('_', '-');
            if (option.Type == "object" && option.Maximum is { } bytes)
            {
                Assert.True(help.Contains($"at most {Number(bytes)} bytes", StringComparison.Ordinal), $"{flag}: '{help}' lacks its size limit");
            }
            else if (option.Minimum is { } minimum && option.Maximum is { } maximum)
            {
                Assert.True(help.Contains($"{Number(minimum)}..{Number(maximum)}", StringComparison.Ordinal),
                    $"{flag}: '{help}' lacks its range {Number(minimum)}..{Number(maximum)}");
            }
            var stated = option.Default is { } value ? $"Default: {value}." : DefaultSentence().Match(option.Description).Value;
            Assert.True(stated != "", $"the catalog states no default for {option.Name}: '{option.Description}'");
            Assert.True(help.Contains(stated, StringComparison.Ordinal), $"{flag}: '{help}' does not say '{stated}'");
        }
    }

    [Fact]
    public async Task Submit_help_lists_every_task_option_flag()
    {
        var output = new StringWriter();
        var code = await CliInvocation.InvokeAsync(new RootCommand("test") { SubmitCommand.Create() }, ["submit", "--help"],
            new InvocationConfiguration { Output = output, Error = new StringWriter() }, CancellationToken.None);

        Assert.Equal(0, code);
        var help = output.ToString();
        Assert.All(await TaskOptionsAsync(), option => Assert.Contains("--" + option.Name.Replace('_', '-') + " ", help));
    }
}
