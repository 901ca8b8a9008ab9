using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace AgentRuntime.Tests.Infrastructure;

/// <summary>
/// Approval testing in the manner of Verify: <c>Approval.Verify(actual)</c> compares text with
/// <c>&lt;TestFile&gt;.&lt;name&gt;.verified.txt</c> beside the test's source file. On a mismatch (or
/// when no verified file exists yet) it writes <c>.received.txt</c> next to it and fails; approve by
/// renaming received to verified. Line endings are normalized to LF; trailing blank lines ignored.
/// </summary>
public static class Approval
{
    /// <summary>Set to 1 to accept every received text as the new verified one (then review the diff).</summary>
    public const string AutoApproveVariable = "AGENT_RUNTIME_APPROVE";

    public static void Verify(
        string actual,
        string? name = null,
        [CallerFilePath] string sourceFile = "",
        [CallerMemberName] string memberName = "")
    {
        ArgumentNullException.ThrowIfNull(actual);
        var directory = Path.GetDirectoryName(sourceFile)
                        ?? throw new InvalidOperationException($"Cannot locate the test source directory from '{sourceFile}'.");
        var stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(sourceFile)}.{name ?? memberName}");
        VerifyFile(actual, stem + ".verified.txt", stem + ".received.txt");
    }

    internal static void VerifyFile(string actual, string verifiedPath, string receivedPath)
    {
        var normalized = Normalize(actual);
        if (File.Exists(verifiedPath) && Normalize(File.ReadAllText(verifiedPath)) == normalized)
        {
            if (File.Exists(receivedPath))
            {
                File.Delete(receivedPath);
            }
            return;
        }

        if (Environment.GetEnvironmentVariable(AutoApproveVariable) == "1")
        {
            File.WriteAllText(verifiedPath, normalized, new UTF8Encoding(false));
            return;
        }

        File.WriteAllText(receivedPath, normalized, new UTF8Encoding(false));
        if (!File.Exists(verifiedPath))
        {
            throw new XunitException(
                $"No verified file yet: {verifiedPath}\nReceived text written to {receivedPath}; review it and rename it to .verified.txt.");
        }
        throw new XunitException(
            $"Text differs from {verifiedPath}\nReceived text written to {receivedPath}.\n{Diff(Normalize(File.ReadAllText(verifiedPath)), normalized)}");
    }

    /// <summary>LF line endings, no trailing whitespace at the end, one final newline.</summary>
    public static string Normalize(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd() + "\n";

    private static string Diff(string expected, string actual, int context = 2, int maxShown = 20)
    {
        var left = expected.Split('\n');
        var right = actual.Split('\n');
        var first = 0;
        while (first < left.Length && first < right.Length && left[first] == right[first])
        {
            first++;
        }

        var text = new StringBuilder();
        text.Append("First difference at line ").Append(first + 1).Append(" (verified: ")
            .Append(left.Length).Append(" lines, received: ").Append(right.Length).AppendLine(" lines):");
        for (var i = Math.Max(0, first - context); i < first; i++)
        {
            text.Append("  ").AppendLine(left[i]);
        }
        for (var i = first; i < Math.Min(left.Length, first + maxShown / 2); i++)
        {
            text.Append("- ").AppendLine(left[i]);
        }
        for (var i = first; i < Math.Min(right.Length, first + maxShown / 2); i++)
        {
            text.Append("+ ").AppendLine(right[i]);
        }
        return text.ToString();
    }
}
