using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentRuntime.Client;

namespace AgentRuntime.Cli;

/// <summary>How the client commands print values for people and for scripts.</summary>
internal static class ClientOutput
{
    /// <summary>
    /// The SQL API's names; text as it is (no \u escapes of non-ASCII or HTML characters), since
    /// the output goes to terminals and pipes, never into HTML.
    /// </summary>
    public static JsonSerializerOptions Indented { get; } = new(ClientJson.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public static JsonSerializerOptions Compact { get; } = new(Indented) { WriteIndented = false };

    public static Task WriteJsonAsync<T>(TextWriter output, T value) =>
        output.WriteLineAsync(JsonSerializer.Serialize(value, Indented));

    /// <summary>A JSON value on one line; "-" for none.</summary>
    public static string Json(JsonNode? value) => value is null ? "-" : value.ToJsonString(Compact);

    public static string Time(DateTimeOffset? value) =>
        value is { } time ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>Label-value lines with the values in one column; fields without a value are left out.</summary>
    public static async Task WriteFieldsAsync(TextWriter output, params (string Label, string? Value)[] fields)
    {
        var shown = fields.Where(f => f.Value is not null).ToList();
        var width = shown.Select(f => f.Label.Length).DefaultIfEmpty().Max() + 2;
        foreach (var (label, value) in shown)
        {
            await output.WriteLineAsync(label.PadRight(width) + value);
        }
    }
}

/// <summary>
/// A table of plain text in aligned columns: it reads the same in a terminal, a pipe and a log
/// file, and a line per row keeps it greppable.
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public async Task WriteAsync(TextWriter output)
    {
        var widths = headers.Select((header, i) => _rows.Select(r => r[i].Length).Prepend(header.Length).Max()).ToArray();
        foreach (var cells in _rows.Prepend(headers))
        {
            var line = string.Join("  ", cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(widths[i])));
            await output.WriteLineAsync(line);
        }
    }
}
