using Xunit.Sdk;

namespace AgentRuntime.Tests.Infrastructure;

public sealed class ApprovalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "agent-runtime-approval-" + Guid.NewGuid().ToString("N")[..12]);

    public ApprovalTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string suffix) => Path.Combine(_directory, "Sample.case." + suffix);

    [Fact]
    public void Missing_verified_file_writes_received_and_fails()
    {
        var error = Assert.Throws<XunitException>(() => Approval.VerifyFile("a\r\nb", PathOf("verified.txt"), PathOf("received.txt")));
        Assert.Contains("No verified file", error.Message);
        Assert.Equal("a\nb\n", File.ReadAllText(PathOf("received.txt")));
    }

    [Fact]
    public void Matching_text_passes_ignoring_line_endings_and_removes_stale_received()
    {
        File.WriteAllText(PathOf("verified.txt"), "a\nb\n");
        File.WriteAllText(PathOf("received.txt"), "old");
        Approval.VerifyFile("a\r\nb\r\n\r\n", PathOf("verified.txt"), PathOf("received.txt"));
        Assert.False(File.Exists(PathOf("received.txt")));
    }

    [Fact]
    public void Mismatch_writes_received_and_shows_the_first_difference()
    {
        File.WriteAllText(PathOf("verified.txt"), "same\nexpected\n");
        var error = Assert.Throws<XunitException>(() => Approval.VerifyFile("same\nactual\n", PathOf("verified.txt"), PathOf("received.txt")));
        Assert.Contains("First difference at line 2", error.Message);
        Assert.Contains("- expected", error.Message);
        Assert.Contains("+ actual", error.Message);
        Assert.Equal("same\nactual\n", File.ReadAllText(PathOf("received.txt")));
    }

    [Fact]
    public void Verify_uses_a_verified_file_beside_the_test_source()
    {
        Approval.Verify("approved text\r\n");
    }
}
