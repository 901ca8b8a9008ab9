using System.Text.RegularExpressions;
using AgentRuntime.Client;
using AgentRuntime.Errors;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;

namespace AgentRuntime.Tests.Errors;

public sealed partial class ErrorCodeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [GeneratedRegex(@"errcode\s*=\s*'(AR\d{3})'")]
    private static partial Regex RaisedCode();

    [GeneratedRegex(@"^\| `(AR\d{3})` \| (\w+) \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedCode();

    [Fact]
    public void Every_code_the_sql_raises_is_documented_and_known_to_the_client_library()
    {
        var root = Repository.Root;
        var raised = Directory.EnumerateFiles(Path.Combine(root, "db"), "*.sql", SearchOption.AllDirectories)
            .SelectMany(file => RaisedCode().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .ToHashSet();
        var documented = DocumentedCode().Matches(File.ReadAllText(Path.Combine(root, "docs", "errors.md")))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        Assert.NotEmpty(raised);
        Assert.Empty(raised.Except(documented.Keys));
        Assert.Equal(documented.OrderBy(p => p.Key), ArErrorCodes.Names.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("select agent_runtime.submit_task(target => null)", typeof(InvalidArgumentException))]
    [InlineData("select agent_runtime.submit_task(target => 'nobody')", typeof(NotFoundException))]
    [InlineData("select agent_runtime.complete_step(step_id => 1, lease_token => gen_random_uuid())", typeof(NotFoundException))]
    [InlineData("select agent_runtime.release_lock(resource => 'never-held', token => 1, secret => gen_random_uuid())", typeof(LockNotHeldException))]
    [InlineData("select agent_runtime.list_tasks(filters => '{\"colour\":\"red\"}')", typeof(InvalidArgumentException))]
    public async Task Ar_errors_surface_as_typed_exceptions_with_code_and_hint(string sql, Type expected)
    {
        var error = await Assert.ThrowsAnyAsync<AgentRuntimeException>(() =>
            new RuntimeConnection(db.DataSource).ExecuteAsync(SqlCall.Statement(sql), CancellationToken.None));

        Assert.IsType(expected, error);
        Assert.StartsWith("AR", error.Code);
        Assert.False(string.IsNullOrEmpty(error.Hint));
        Assert.IsType<PostgresException>(error.InnerException);
    }

    [Fact]
    public async Task Other_database_errors_pass_through_untranslated()
    {
        await Assert.ThrowsAsync<PostgresException>(() =>
            new RuntimeConnection(db.DataSource).ExecuteAsync(SqlCall.Statement("select 1/0"), CancellationToken.None));
    }
}
