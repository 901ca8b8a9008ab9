using AgentRuntime.A2a;
using AgentRuntime.Errors;
using Npgsql;

namespace AgentRuntime.Tests.A2a;

/// <summary>The one mapping of the SQL API's AR codes to JSON-RPC codes, for every AR code there is.</summary>
public sealed class A2aErrorTests
{
    [Fact]
    public void Every_AR_code_maps_to_its_documented_JSON_RPC_code()
    {
        var expected = new Dictionary<string, int>
        {
            [ArErrorCodes.TaskNotFound] = -32001,
            [ArErrorCodes.PushConfigNotFound] = -32001,
            [ArErrorCodes.TaskNotCancelable] = -32002,
            [ArErrorCodes.TaskNotAcceptingMessages] = -32004,
            [ArErrorCodes.AppNotPermitted] = -31403,
            [ArErrorCodes.InvalidArgument] = -32602,
            [ArErrorCodes.PayloadTooLarge] = -32602,
            [ArErrorCodes.UnknownOption] = -32602,
            [ArErrorCodes.InputRejected] = -32602,
            [ArErrorCodes.AgentNotFound] = -32602,
            [ArErrorCodes.SessionNotFound] = -32602,
            [ArErrorCodes.PushUrlRefused] = -32602,
            [ArErrorCodes.WorkflowInvalid] = -32602,
        };
        foreach (var code in ArErrorCodes.Names.Keys)
        {
            var inner = new PostgresException("refused", "ERROR", "ERROR", code);
            var error = A2aError.From(AgentRuntimeException.From(inner)!);
            Assert.True(error.Code == expected.GetValueOrDefault(code, -32603), $"{code} maps to {error.Code}");
            Assert.Equal(code, (string?)error.ToJson()["data"]![0]!["metadata"]!["sqlstate"]);
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:7800", false, "is not a loopback address")]
    [InlineData("http://192.0.2.1:7800", false, "is not a loopback address")]
    [InlineData("http://127.0.0.1:7800", false, null)]
    [InlineData("http://[::1]:7800", false, null)]
    [InlineData("http://localhost:7800", false, null)]
    [InlineData("http://0.0.0.0:7800", true, null)]
    [InlineData("https://127.0.0.1:7800", false, "is not an address to listen on")]
    public void Without_API_keys_only_loopback_addresses_are_accepted(string url, bool withKey, string? problem)
    {
        var options = new A2aOptions { Urls = [url] };
        if (withKey)
        {
            options.ApiKeys.Add(new ApiKeyOptions { Name = "k", Key = "0123456789abcdef", Role = "r" });
        }
        if (problem is null)
        {
            Assert.Null(options.Validate());
        }
        else
        {
            Assert.Contains(problem, options.Validate());
        }
    }
}
