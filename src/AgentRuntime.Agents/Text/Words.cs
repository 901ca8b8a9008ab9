using System.Text.RegularExpressions;

namespace AgentRuntime.Agents.Text;

internal static partial class Words
{
    // Inner apostrophes, hyphens, periods and commas keep "don't", "state-of-the-art", "3.5" and "1,000"
    // as one word each.
    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’.,\-][\p{L}\p{N}]+)*", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    // Host and user names in addresses would otherwise count as topic words.
    [GeneratedRegex(@"\S+@\S+|\b(?:https?|ftp)://\S+|\bwww\.\S+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Address();

    public static int Count(string text) => WordPattern().Count(text);

    /// <summary>The topic-bearing words: lower-cased, possessives and plurals folded, stop words and numbers dropped.</summary>
    public static List<string> ContentWords(string text)
    {
        var words = new List<string>();
        text = Address().Replace(text, " ");
        foreach (var match in WordPattern().EnumerateMatches(text))
        {
            if (!char.IsLetter(text[match.Index]))
            {
                continue;
            }

            var normalized = Normalize(text.Substring(match.Index, match.Length).ToLowerInvariant());
            if (normalized.Length >= 2 && !StopWords.Contains(normalized))
            {
                words.Add(normalized);
            }
        }

        return words;
    }

    private static string Normalize(string word)
    {
        if (word.EndsWith("'s", StringComparison.Ordinal) || word.EndsWith("’s", StringComparison.Ordinal))
        {
            word = word[..^2];
        }

        if (word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal))
        {
            return word[..^3] + "y";
        }

        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal)
            && !word.EndsWith("us", StringComparison.Ordinal) && !word.EndsWith("is", StringComparison.Ordinal))
        {
            return word[..^1];
        }

        return word;
    }
}
