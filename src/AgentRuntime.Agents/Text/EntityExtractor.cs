using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentRuntime.Agents.Text;

/// <summary>One kind of entity: its distinct values with how often each occurs, in first-appearance order.</summary>
internal sealed class EntityList
{
    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);

    public int Occurrences { get; private set; }

    // Passes over the text (scheme URLs, then www. URLs) can find a later value first.
    public IEnumerable<(string Value, int Count)> Values =>
        _byKey.Values.OrderBy(e => e.FirstIndex).Select(e => (e.Value, e.Count));

    public void Add(string value, string key, int index)
    {
        Occurrences++;
        if (_byKey.TryGetValue(key, out var entry))
        {
            entry.Count++;
            return;
        }

        _byKey[key] = new Entry { Value = value, FirstIndex = index, Count = 1 };
    }

    private sealed class Entry
    {
        public required string Value { get; init; }

        public required int FirstIndex { get; init; }

        public required int Count { get; set; }
    }
}

/// <summary>
/// Finds e-mails, URLs, phone numbers, dates, numbers and capitalized names with regular expressions and
/// a few checks. Kinds are matched in a fixed order and each match claims its characters, so the digits of
/// a date or a phone number are not counted again as numbers, nor a URL's host as a name.
/// </summary>
internal static partial class EntityExtractor
{
    public static readonly string[] Kinds = ["emails", "urls", "phones", "dates", "numbers", "names"];

    private const string Months =
        "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec";

    private static readonly FrozenSet<string> CalendarWords = new[]
    {
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    }.ToFrozenSet(StringComparer.Ordinal);

    // Lower-case particles inside names: Bank of America, Leonardo da Vinci, Ludwig van Beethoven.
    private static readonly FrozenSet<string> NameParticles = new[]
    {
        "of", "de", "da", "del", "der", "di", "du", "la", "le", "van", "von", "bin",
    }.ToFrozenSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\b(?:https?|ftp)://[^\s<>""'`]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemeUrl();

    [GeneratedRegex(@"(?<![\w.@/])www\.[^\s<>""'`]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WwwUrl();

    [GeneratedRegex(@"(?<![\w.%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w\-])", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(
        @"(?<![\w\-])(?<iso>\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?(?![\w\-])" +
        @"|(?<![\w/.\-])(?<ymd>\d{4}([/.])\d{1,2}\1\d{1,2})(?![\w/\-]|\.\d)" +
        @"|(?<![\w/.\-])(?<dmy>\d{1,2}([/.\-])\d{1,2}\2\d{4})(?![\w/\-]|\.\d)" +
        @"|\b(?:" + Months + @")\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+\d{4}\b" +
        @"|\b(?<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + Months + @")\.?,?\s+\d{4}\b" +
        @"|\b(?:" + Months + @")\s+\d{4}\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex Date();

    [GeneratedRegex(
        @"(?<intl>(?<![\w+])\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,5})){1,6})(?!\w)" +
        @"|(?<![\w+(])(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\w)" +
        @"|(?<national>(?<![\w+.,])(?:\(0\d{1,4}\)|0\d{1,4})(?:[ .\-]?\d{2,4}){1,4})(?!\w|[.,]\d)",
        RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?<![\w.,:/]|\p{L}-)(?:[\-−+](?=\d))?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?: ?%)?(?![\w%]|[.,:/]\d)", RegexOptions.CultureInvariant)]
    private static partial Regex Number();

    [GeneratedRegex(@"[\p{L}\p{M}][\p{L}\p{M}\p{N}'’\-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    public static Dictionary<string, EntityList> Extract(string text)
    {
        var claimed = new bool[text.Length];
        var found = Kinds.ToDictionary(k => k, _ => new EntityList(), StringComparer.Ordinal);

        // Scheme URLs go before e-mails so that user@host inside a URL stays part of it; www. URLs go after
        // so that the www. host of an address (ada@www.example.org) stays part of the e-mail.
        Collect(text, claimed, SchemeUrl(), found["urls"], TrimUrl);
        Collect(text, claimed, Email(), found["emails"], m => (m.Index, m.Length, m.Value.ToLowerInvariant()));
        Collect(text, claimed, WwwUrl(), found["urls"], TrimUrl);
        Collect(text, claimed, Date(), found["dates"], m => IsPlausibleDate(m) ? (m.Index, m.Length, m.Value) : null);
        Collect(text, claimed, Phone(), found["phones"], PhoneKey);
        Collect(text, claimed, Number(), found["numbers"], m => (m.Index, m.Length, m.Value));
        CollectNames(text, claimed, found["names"]);
        return found;
    }

    /// <summary>Adds each match that the filter accepts (as start, length, dedup key) and claims its characters.</summary>
    private static void Collect(string text, bool[] claimed, Regex pattern, EntityList into,
        Func<Match, (int Start, int Length, string Key)?> accept)
    {
        foreach (Match match in pattern.Matches(text))
        {
            if (accept(match) is not { } hit || IsClaimed(claimed, hit.Start, hit.Length))
            {
                continue;
            }

            into.Add(text.Substring(hit.Start, hit.Length), hit.Key, hit.Start);
            Array.Fill(claimed, true, hit.Start, hit.Length);
        }
    }

    private static bool IsClaimed(bool[] claimed, int start, int length) =>
        Array.IndexOf(claimed, true, start, length) >= 0;

    // Prose punctuation after a URL ends the sentence, not the URL; a closing parenthesis stays when the
    // URL opened one (https://en.wikipedia.org/wiki/Ada_(programming_language)).
    private static (int, int, string)? TrimUrl(Match match)
    {
        var url = match.Value;
        while (url.Length > 0)
        {
            var last = url[^1];
            if (".,;:!?]}".Contains(last)
                || (last == ')' && url.Count(c => c == '(') < url.Count(c => c == ')')))
            {
                url = url[..^1];
                continue;
            }

            break;
        }

        return url.Length > "www.".Length ? (match.Index, url.Length, url) : null;
    }

    // E.164 allows at most 15 digits; national numbers with a trunk 0 (030 1234567, 06 12 34 56 78)
    // have 9 to 12, which keeps short zero-led figures like 0.25 or 007 out.
    private static (int, int, string)? PhoneKey(Match match)
    {
        var digits = new string(match.Value.Where(char.IsAsciiDigit).ToArray());
        var plausible = match.Groups["intl"].Success ? digits.Length is >= 8 and <= 15
            : !match.Groups["national"].Success || digits.Length is >= 9 and <= 12;
        return plausible ? (match.Index, match.Length, (match.Groups["intl"].Success ? "+" : "") + digits) : null;
    }

    private static bool IsPlausibleDate(Match match)
    {
        if (match.Groups["iso"].Success)
        {
            var parts = match.Groups["iso"].Value.Split('-');
            return IsMonthDay(int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        if (match.Groups["ymd"].Success)
        {
            var parts = match.Groups["ymd"].Value.Split('/', '.');
            return IsMonthDay(int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        if (match.Groups["dmy"].Success)
        {
            // 31/01/2026 or 01/31/2026: either reading must be a real date.
            var parts = match.Groups["dmy"].Value.Split('/', '.', '-');
            var first = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var second = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return IsMonthDay(second, first) || IsMonthDay(first, second);
        }

        return !match.Groups["day"].Success || int.Parse(match.Groups["day"].Value, CultureInfo.InvariantCulture) is >= 1 and <= 31;
    }

    private static bool IsMonthDay(int month, int day) => month is >= 1 and <= 12 && day is >= 1 and <= 31;

    /// <summary>
    /// Runs of two or more capitalized words separated by single spaces (name particles allowed inside).
    /// A capital at the start of a sentence or line only says the sentence starts there, so that first
    /// word counts only when the text never uses it in lower case ("Meanwhile" no, "Ada" yes).
    /// </summary>
    private static void CollectNames(string text, bool[] claimed, EntityList into)
    {
        var words = Word().Matches(text).Where(m => !IsClaimed(claimed, m.Index, m.Length)).ToList();
        var lowerCaseWords = words.Where(w => char.IsLower(w.Value[0]))
            .Select(w => w.Value.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

        var i = 0;
        while (i < words.Count)
        {
            if (!IsNameWord(words[i].Value))
            {
                i++;
                continue;
            }

            var run = new List<Match> { words[i] };
            var j = i + 1;
            while (j < words.Count && IsSingleSpace(text, run[^1], words[j]))
            {
                if (IsNameWord(words[j].Value))
                {
                    run.Add(words[j]);
                    j++;
                }
                else if (NameParticles.Contains(words[j].Value) && j + 1 < words.Count
                    && IsSingleSpace(text, words[j], words[j + 1]) && IsNameWord(words[j + 1].Value))
                {
                    run.Add(words[j]);
                    run.Add(words[j + 1]);
                    j += 2;
                }
                else
                {
                    break;
                }
            }

            if (IsSentenceStart(text, run[0].Index) && lowerCaseWords.Contains(run[0].Value.ToLowerInvariant()))
            {
                run.RemoveAt(0);
            }

            if (run.Count(w => IsNameWord(w.Value)) >= 2 && IsNameWord(run[0].Value))
            {
                var start = run[0].Index;
                var name = text[start..(run[^1].Index + run[^1].Length)];
                if (name.EndsWith("'s", StringComparison.Ordinal) || name.EndsWith("’s", StringComparison.Ordinal))
                {
                    name = name[..^2];
                }

                into.Add(name, name, start);
            }

            i = j;
        }
    }

    private static bool IsNameWord(string word) =>
        char.IsUpper(word[0]) && !StopWords.Contains(word) && !CalendarWords.Contains(word);

    private static bool IsSingleSpace(string text, Match left, Match right) =>
        right.Index == left.Index + left.Length + 1 && text[left.Index + left.Length] == ' ';

    private static bool IsSentenceStart(string text, int index)
    {
        for (var k = index - 1; k >= 0; k--)
        {
            var c = text[k];
            if (c == '\n')
            {
                return true;
            }

            if (char.IsWhiteSpace(c) || "\"'“‘([«".Contains(c))
            {
                continue;
            }

            return ".!?:;•*#>|-–—".Contains(c);
        }

        return true;
    }
}
