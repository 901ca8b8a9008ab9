using System.Collections.Frozen;
using System.Text;

namespace AgentRuntime.Agents.Text;

/// <summary>A sentence and where it starts in the source text.</summary>
internal readonly record struct Sentence(string Text, int Start);

/// <summary>
/// Splits prose into sentences. A terminator ends a sentence only when whitespace and a plausible sentence
/// start follow it, so decimals (3.5), domains (example.com), lower-case continuations and known
/// abbreviations (Dr. Smith, e.g. Python) stay inside their sentence. A blank line always ends one, so
/// headings and list items without punctuation do not run into the next paragraph.
/// </summary>
internal static class SentenceSplitter
{
    // Abbreviations that in practice precede a capitalized word without ending the sentence. "etc." and
    // "Inc." are left out: they end sentences about as often as not. Case matters: "Sun." and "No." are
    // abbreviations, "the sun." and "said no." end sentences.
    private static readonly FrozenSet<string> Abbreviations = new[]
    {
        "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Ft", "Gen", "Col", "Lt", "Sgt", "Capt",
        "Cmdr", "Adm", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres", "No", "Nos", "Vol", "Fig", "Figs", "Eq",
        "Dept", "Univ", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "e.g", "i.e", "E.g", "I.e", "vs", "cf", "approx",
        "fig", "figs", "eq", "vol", "pp", "ca", "al",
    }.ToFrozenSet(StringComparer.Ordinal);

    private const string Terminators = ".!?…";
    private const string Closers = "\"'”’)]»";
    private const string Openers = "\"'“‘([«¿¡";

    public static List<Sentence> Split(string text)
    {
        var sentences = new List<Sentence>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n' && IsBlankLineAfter(text, i))
            {
                Add(sentences, text, start, i);
                start = i + 1;
                i++;
                continue;
            }

            if (Terminators.Contains(c))
            {
                var end = i + 1;
                while (end < text.Length && Terminators.Contains(text[end]))
                {
                    end++;
                }

                while (end < text.Length && Closers.Contains(text[end]))
                {
                    end++;
                }

                if (EndsSentence(text, i, end))
                {
                    Add(sentences, text, start, end);
                    start = end;
                }

                i = end;
                continue;
            }

            i++;
        }

        Add(sentences, text, start, text.Length);
        return sentences;
    }

    private static bool EndsSentence(string text, int terminator, int end)
    {
        if (end >= text.Length)
        {
            return true;
        }

        if (!char.IsWhiteSpace(text[end]))
        {
            return false;
        }

        var next = end;
        while (next < text.Length && char.IsWhiteSpace(text[next]))
        {
            next++;
        }

        if (next == text.Length)
        {
            return true;
        }

        var starter = text[next];
        if (!(char.IsUpper(starter) || char.IsDigit(starter) || Openers.Contains(starter)))
        {
            return false;
        }

        var singlePeriod = text[terminator] == '.' && (end == terminator + 1 || !Terminators.Contains(text[terminator + 1]));
        return !singlePeriod || !IsAbbreviation(text, terminator);
    }

    private static bool IsAbbreviation(string text, int period)
    {
        var begin = period;
        while (begin > 0 && (char.IsLetter(text[begin - 1]) || text[begin - 1] == '.'))
        {
            begin--;
        }

        var token = text[begin..period];
        if (token.Length == 0)
        {
            return false;
        }

        // A lone capital is an initial (J. R. R. Tolkien); dotted letters are an acronym (U.S., a.m.).
        return Abbreviations.Contains(token)
            || (token.Length == 1 && char.IsUpper(token[0]))
            || (token.Contains('.') && token.Split('.').All(part => part.Length is 1 or 2 && part.All(char.IsLetter)));
    }

    private static bool IsBlankLineAfter(string text, int newline)
    {
        for (var j = newline + 1; j < text.Length; j++)
        {
            if (text[j] == '\n')
            {
                return true;
            }

            if (!char.IsWhiteSpace(text[j]))
            {
                return false;
            }
        }

        return false;
    }

    private static void Add(List<Sentence> sentences, string text, int start, int end)
    {
        var builder = new StringBuilder(end - start);
        var pendingSpace = false;
        var first = -1;
        for (var j = start; j < end; j++)
        {
            if (char.IsWhiteSpace(text[j]))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (first < 0)
            {
                first = j;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(text[j]);
        }

        if (builder.Length > 0)
        {
            sentences.Add(new Sentence(builder.ToString(), first));
        }
    }
}
