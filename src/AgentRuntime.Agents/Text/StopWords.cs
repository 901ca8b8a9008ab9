using System.Collections.Frozen;

namespace AgentRuntime.Agents.Text;

/// <summary>Common English function words: they carry no topic, so scoring and name detection skip them.</summary>
internal static class StopWords
{
    private static readonly FrozenSet<string> Words = new[]
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
        "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "even",
        "ever", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
        "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is",
        "it", "its", "itself", "just", "let", "like", "may", "me", "might", "more", "most", "much", "must",
        "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "only",
        "or", "other", "our", "ours", "ourselves", "out", "over", "own", "per", "perhaps", "quite", "rather",
        "same", "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "though",
        "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were",
        "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with",
        "within", "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves",
        "meanwhile", "moreover", "therefore", "furthermore", "nevertheless", "today", "yesterday",
        "tomorrow", "still", "already", "many", "several", "one", "two", "three", "last", "next",
        "first", "according", "although", "unlike", "despite", "dear", "hello", "hi", "thanks", "please",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string word) => Words.Contains(word);
}
