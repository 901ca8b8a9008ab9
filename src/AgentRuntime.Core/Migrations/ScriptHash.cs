using System.Security.Cryptography;
using System.Text;

namespace AgentRuntime.Migrations;

/// <summary>
/// The script hash grate stores in <c>ScriptsRun.text_hash</c> (grate.core <c>HashGenerator</c>):
/// single quotes doubled, CRLF and CR turned into LF, UTF-8, MD5, Base64. Using the same
/// function means grate and this migrator agree on which scripts changed.
/// </summary>
public static class ScriptHash
{
    public static string Compute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var input = text.Replace("'", "''", StringComparison.Ordinal)
            .Replace("\r\n", "\n", StringComparison.Ordinal)
            .Replace("\r", "\n", StringComparison.Ordinal);
#pragma warning disable CA5351 // grate's hash is MD5: it identifies content, it is not a security boundary.
        var hash = MD5.HashData(Encoding.UTF8.GetBytes(input));
#pragma warning restore CA5351
        return Convert.ToBase64String(hash);
    }
}
