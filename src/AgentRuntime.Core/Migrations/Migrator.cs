using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentRuntime.Migrations;

/// <summary>
/// Applies a grate-layout migration tree (by default the <c>db/</c> tree embedded in this assembly)
/// with grate's rules:
/// <list type="bullet">
/// <item>folders in grate's order (<see cref="GrateFolders.Default"/>); within a folder, scripts by
/// relative path, recursively;</item>
/// <item>one-time scripts (<c>up/</c>) run once; one whose hash changed since it ran is refused
/// (<see cref="OneTimeScriptChangedException"/>) before anything runs;</item>
/// <item>anytime scripts (<c>functions/</c>, <c>views/</c>, ...) run when new or changed;</item>
/// <item>every-time scripts (<c>permissions/</c>, <c>beforeMigration/</c>, <c>afterMigration/</c>,
/// <c>*everytime.*</c>) run on every migration.</item>
/// </list>
/// Each script runs as one command, in its own transaction together with its
/// <c>grate."ScriptsRun"</c> row. The whole run holds <c>pg_advisory_lock(AdvisoryLockKey)</c> on a
/// dedicated connection, so concurrent migrations of one database run one after the other (the later
/// one finds nothing left to do). Bookkeeping uses grate's own tables (schema <c>grate</c>), so a
/// database migrated here looks like one migrated by grate.
/// <para>
/// Since each script runs inside a transaction, scripts contain no transaction control
/// (BEGIN/COMMIT) and nothing that refuses a transaction block (CREATE INDEX CONCURRENTLY, VACUUM):
/// PostgreSQL rejects those with 25001, reported against the file. grate's {{token}} replacement is
/// not done (grate.config passes --disabletokenreplacement), so scripts run as psql would run them.
/// </para>
/// </summary>
public sealed class Migrator
{
    /// <summary>The advisory lock key that serializes migrations of one database.</summary>
    public const long AdvisoryLockKey = 0x4147_5254_4D49_4752; // "AGRTMIGR"

    /// <summary>grate's tracking schema.</summary>
    public const string TrackingSchema = "grate";

    /// <summary>grate's table of scripts run (quoted: grate creates it with mixed case).</summary>
    public const string ScriptsRunTable = "\"grate\".\"ScriptsRun\"";

    /// <summary>grate's table of script errors.</summary>
    public const string ScriptsRunErrorsTable = "\"grate\".\"ScriptsRunErrors\"";

    /// <summary>grate's table of versions (one row per run that ran something).</summary>
    public const string VersionTable = "\"grate\".\"Version\"";

    private const string StatusInProgress = "In Progress";
    private const string StatusError = "Error";
    private const string StatusFinished = "Finished";
    private const string UtcNow = "(now() AT TIME ZONE 'UTC')";

    // grate's baseline for PostgreSQL (grate.postgresql Bootstrapping/Sql/00_Baseline/Up/*.sql and
    // GrateStructure/up/01_version_add_status_column.sql), made idempotent.
    private const string TrackingDdl = """
        CREATE SCHEMA IF NOT EXISTS "grate";

        CREATE TABLE IF NOT EXISTS "grate"."ScriptsRun"(
            id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
            version_id BIGINT NULL,
            script_name varchar(255) NULL,
            text_of_script text NULL,
            text_hash varchar(512) NULL,
            one_time_script boolean NULL,
            entry_date timestamp NULL,
            modified_date timestamp NULL,
            entered_by varchar(50) NULL,
            CONSTRAINT PK_ScriptsRun_id PRIMARY KEY (id)
        );

        CREATE TABLE IF NOT EXISTS "grate"."ScriptsRunErrors"(
            id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
            repository_path varchar(255) NULL,
            version varchar(50) NULL,
            script_name varchar(255) NULL,
            text_of_script text NULL,
            erroneous_part_of_script text NULL,
            error_message text NULL,
            entry_date timestamp NULL,
            modified_date timestamp NULL,
            entered_by varchar(50) NULL,
            CONSTRAINT PK_ScriptsRunErrors_id PRIMARY KEY (id)
        );

        CREATE TABLE IF NOT EXISTS "grate"."Version"(
            id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
            repository_path varchar(255) NULL,
            version varchar(50) NULL,
            entry_date timestamp NULL,
            modified_date timestamp NULL,
            entered_by varchar(50) NULL,
            status varchar(50) NULL,
            CONSTRAINT PK_Version_id PRIMARY KEY (id)
        );

        ALTER TABLE "grate"."Version" ADD COLUMN IF NOT EXISTS status varchar(50) NULL;
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly MigrationSource _source;
    private readonly MigrationOptions _options;
    private readonly ILogger _logger;

    public Migrator(NpgsqlDataSource dataSource, MigrationSource source, ILogger? logger = null, MigrationOptions? options = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _options = options ?? new MigrationOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Applies the tree. Migrating an up-to-date database runs only every-time scripts.</summary>
    /// <exception cref="DuplicateScriptNameException">The tree is invalid; nothing ran.</exception>
    /// <exception cref="OneTimeScriptChangedException">A one-time script was edited; nothing ran.</exception>
    /// <exception cref="MigrationScriptFailedException">A script failed; it was rolled back, earlier scripts stay applied.</exception>
    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default)
    {
        // Validate the tree before touching the database.
        var scripts = _source.GetScripts(_options.Folders);
        var version = Truncate(_options.Version ?? DefaultVersion(scripts), 50);
        var enteredBy = Truncate(Environment.UserName, 50);

        var lockConnection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var unlocked = false;
        try
        {
            await AcquireLockAsync(lockConnection, cancellationToken).ConfigureAwait(false);
            try
            {
                await ExecuteAsync(lockConnection, TrackingDdl, cancellationToken).ConfigureAwait(false);
                var recorded = await LoadRecordedHashesAsync(lockConnection, cancellationToken).ConfigureAwait(false);

                var plan = Plan(scripts, recorded);

                // grate refuses an edited one-time script; refuse before running anything.
                foreach (var (script, _) in plan.Where(p => p.Action is null))
                {
                    var recordedHash = recorded[script.Name];
                    var error = new OneTimeScriptChangedException(script.Path, recordedHash, script.Hash);
                    _logger.LogError("{Message}", error.Message);
                    await RecordErrorAsync(lockConnection, script, script.Text, error.Message, version, enteredBy).ConfigureAwait(false);
                    throw error;
                }

                var outcomes = new List<ScriptOutcome>(plan.Count);
                long? versionId = null;
                if (plan.Any(p => IsRun(p.Action!.Value)))
                {
                    versionId = await InsertVersionAsync(lockConnection, version, enteredBy, cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Migrating {Database} to version {Version} from {Source}.",
                        lockConnection.Database, version, _source.Description);
                }

                foreach (var (script, action) in plan)
                {
                    if (!IsRun(action!.Value))
                    {
                        _logger.LogDebug("Skipped {Script}: {Action}.", script.Path, action.Value);
                        outcomes.Add(new ScriptOutcome(script, action.Value, TimeSpan.Zero));
                        continue;
                    }

                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await RunScriptAsync(script, versionId!.Value, enteredBy, cancellationToken).ConfigureAwait(false);
                    }
                    catch (PostgresException ex)
                    {
                        var message = DescribeFailure(script, ex);
                        _logger.LogError("{Message}", message);
                        await RecordErrorAsync(lockConnection, script, ex.BatchCommand?.CommandText ?? script.Text, message, version, enteredBy).ConfigureAwait(false);
                        await SetVersionStatusAsync(lockConnection, versionId!.Value, StatusError).ConfigureAwait(false);
                        throw new MigrationScriptFailedException(script.Path, message, ex);
                    }
                    catch (Exception) when (versionId is not null)
                    {
                        await TrySetVersionStatusAsync(lockConnection, versionId.Value, StatusError).ConfigureAwait(false);
                        throw;
                    }

                    var elapsed = Stopwatch.GetElapsedTime(started);
                    _logger.LogInformation("Ran {Script} ({Action}) in {Elapsed} ms.", script.Path, action.Value, (long)elapsed.TotalMilliseconds);
                    outcomes.Add(new ScriptOutcome(script, action.Value, elapsed));
                }

                if (versionId is not null)
                {
                    await SetVersionStatusAsync(lockConnection, versionId.Value, StatusFinished).ConfigureAwait(false);
                }
                else
                {
                    _logger.LogInformation("Database {Database} is up to date ({Count} scripts checked).", lockConnection.Database, plan.Count);
                }

                return new MigrationResult(outcomes, version, versionId);
            }
            finally
            {
                unlocked = await TryReleaseLockAsync(lockConnection).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!unlocked)
            {
                // Npgsql resets pooled connections lazily: a session lock could outlive this call in an
                // idle pooled connection. Make sure the physical connection is discarded instead.
                NpgsqlConnection.ClearPool(lockConnection);
            }
            await lockConnection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the database named in <paramref name="connectionString"/> if it does not exist
    /// (grate's default), connecting to the <c>postgres</c> maintenance database to do so.
    /// </summary>
    /// <returns>True when this call created it.</returns>
    public static async Task<bool> CreateDatabaseIfNotExistsAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        try
        {
            await using var probe = new NpgsqlConnection(target.ConnectionString);
            await probe.OpenAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // database does not exist: create it below
        }

        var database = target.Database ?? target.Username
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        var admin = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(database)}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            return false;
        }
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static bool IsRun(ScriptAction action) =>
        action is ScriptAction.RanNew or ScriptAction.RanChanged or ScriptAction.RanEveryTime;

    /// <summary>Decides each script's fate; a null action marks an edited one-time script.</summary>
    private List<(MigrationScript Script, ScriptAction? Action)> Plan(
        IReadOnlyList<MigrationScript> scripts, IReadOnlyDictionary<string, string> recorded)
    {
        var plan = new List<(MigrationScript, ScriptAction?)>(scripts.Count);
        foreach (var script in scripts)
        {
            ScriptAction? action;
            if (!script.IsForEnvironment(_options.Environment))
            {
                action = ScriptAction.SkippedOtherEnvironment;
            }
            else if (script.Folder.Key == GrateFolders.RunAfterCreateDatabase.Key && !_options.DatabaseWasCreated)
            {
                action = ScriptAction.SkippedDatabaseNotNew;
            }
            else if (!recorded.TryGetValue(script.Name, out var hash))
            {
                action = ScriptAction.RanNew;
            }
            else if (script.IsEveryTime)
            {
                action = ScriptAction.RanEveryTime;
            }
            else if (string.Equals(hash, script.Hash, StringComparison.Ordinal))
            {
                action = ScriptAction.SkippedUnchanged;
            }
            else if (script.Folder.Type == MigrationType.Once)
            {
                action = null;
            }
            else
            {
                action = ScriptAction.RanChanged;
            }
            plan.Add((script, action));
        }
        return plan;
    }

    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
        {
            tryLock.Parameters.AddWithValue("key", AdvisoryLockKey);
            if ((bool)(await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return;
            }
        }

        _logger.LogInformation("Another migration of {Database} is running; waiting for it to finish.", connection.Database);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> TryReleaseLockAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            command.Parameters.AddWithValue("key", AdvisoryLockKey);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            _logger.LogWarning(ex, "Could not release the migration lock; discarding its connection.");
            return false;
        }
    }

    private static async Task<Dictionary<string, string>> LoadRecordedHashesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // grate: the latest row per script name holds the current hash.
        const string sql = $"""
            SELECT script_name, text_hash
            FROM {ScriptsRunTable} sr
            WHERE id = (SELECT MAX(id) FROM {ScriptsRunTable} sr2 WHERE sr2.script_name = sr.script_name)
            """;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(0))
            {
                result[reader.GetString(0)] = reader.IsDBNull(1) ? string.Empty : reader.GetString(1);
            }
        }
        return result;
    }

    private async Task RunScriptAsync(MigrationScript script, long versionId, string enteredBy, CancellationToken cancellationToken)
    {
        _logger.LogDebug("Running {Script}.", script.Path);
        // A fresh (pooled, reset) session per script, so session settings never leak between scripts.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        await using (var command = new NpgsqlCommand(script.Text, connection, transaction))
        {
            command.CommandTimeout = _options.CommandTimeoutSeconds;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var record = new NpgsqlCommand($"""
            INSERT INTO {ScriptsRunTable}
                (version_id, script_name, text_of_script, text_hash, one_time_script, entry_date, modified_date, entered_by)
            VALUES (@versionId, @scriptName, @sql, @hash, @runOnce, {UtcNow}, {UtcNow}, @usr)
            """, connection, transaction))
        {
            record.Parameters.AddWithValue("versionId", versionId);
            record.Parameters.AddWithValue("scriptName", script.Name);
            record.Parameters.AddWithValue("sql", script.Text);
            record.Parameters.AddWithValue("hash", script.Hash);
            record.Parameters.AddWithValue("runOnce", script.Folder.Type == MigrationType.Once);
            record.Parameters.AddWithValue("usr", enteredBy);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> InsertVersionAsync(NpgsqlConnection connection, string version, string enteredBy, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {VersionTable} (repository_path, version, entry_date, modified_date, entered_by, status)
            VALUES (@repositoryPath, @version, {UtcNow}, {UtcNow}, @usr, @status)
            RETURNING id
            """, connection);
        command.Parameters.AddWithValue("repositoryPath", (object?)_options.RepositoryPath ?? DBNull.Value);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("usr", enteredBy);
        command.Parameters.AddWithValue("status", StatusInProgress);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task SetVersionStatusAsync(NpgsqlConnection connection, long versionId, string status)
    {
        await using var command = new NpgsqlCommand(
            $"UPDATE {VersionTable} SET status = @status, modified_date = {UtcNow} WHERE id = @id", connection);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("id", versionId);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task TrySetVersionStatusAsync(NpgsqlConnection connection, long versionId, string status)
    {
        try
        {
            await SetVersionStatusAsync(connection, versionId, status).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            _logger.LogWarning(ex, "Could not mark version {VersionId} as {Status}.", versionId, status);
        }
    }

    private async Task RecordErrorAsync(NpgsqlConnection connection, MigrationScript script, string erroneousPart, string message, string version, string enteredBy)
    {
        try
        {
            await using var command = new NpgsqlCommand($"""
                INSERT INTO {ScriptsRunErrorsTable}
                    (repository_path, version, script_name, text_of_script, erroneous_part_of_script, error_message, entry_date, modified_date, entered_by)
                VALUES (@repositoryPath, @version, @scriptName, @sql, @errorSql, @errorMessage, {UtcNow}, {UtcNow}, @usr)
                """, connection);
            command.Parameters.AddWithValue("repositoryPath", (object?)_options.RepositoryPath ?? DBNull.Value);
            command.Parameters.AddWithValue("version", version);
            command.Parameters.AddWithValue("scriptName", script.Name);
            command.Parameters.AddWithValue("sql", script.Text);
            command.Parameters.AddWithValue("errorSql", erroneousPart);
            command.Parameters.AddWithValue("errorMessage", message);
            command.Parameters.AddWithValue("usr", enteredBy);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            _logger.LogWarning(ex, "Could not record the failure of {Script} in {Table}.", script.Path, ScriptsRunErrorsTable);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string DefaultVersion(IReadOnlyList<MigrationScript> scripts)
    {
        var last = scripts.LastOrDefault(s => s.Folder.Type == MigrationType.Once);
        return last is null ? "0.0.0.1" : Path.GetFileNameWithoutExtension(last.FileName);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    internal static string DescribeFailure(MigrationScript script, PostgresException ex)
    {
        var text = new StringBuilder();
        text.Append("Migration script '").Append(script.Path).Append("' failed");
        if (LocateLine(script.Text, ex) is { } line)
        {
            text.Append(" at line ").Append(line);
        }
        text.Append(": ").Append(ex.SqlState).Append(": ").Append(ex.MessageText);
        if (!string.IsNullOrEmpty(ex.Detail))
        {
            text.Append("\nDETAIL: ").Append(ex.Detail);
        }
        if (!string.IsNullOrEmpty(ex.Hint))
        {
            text.Append("\nHINT: ").Append(ex.Hint);
        }
        if (!string.IsNullOrEmpty(ex.Where))
        {
            text.Append("\nCONTEXT: ").Append(ex.Where);
        }
        text.Append("\nThe script was rolled back and the migration stopped.");
        return text.ToString();
    }

    /// <summary>
    /// Best effort: the 1-based line where PostgreSQL reported the error. Npgsql sends a script as
    /// separate statements and PostgreSQL's position counts from the start of the failing one, which
    /// Npgsql does not name; so try every statement start (the script start, and after each
    /// semicolon, past blanks) and keep the one whose position lands on a name quoted in the error.
    /// </summary>
    internal static int? LocateLine(string scriptText, PostgresException ex)
    {
        if (ex.Position <= 0)
        {
            return null;
        }
        var tokens = QuotedInMessage.Matches(ex.MessageText)
            .Select(m => m.Groups[1].Value)
            .Where(t => t.Length > 0)
            .ToList();
        if (tokens.Count == 0)
        {
            return null;
        }

        var starts = new SortedSet<int> { SkipBlanks(scriptText, 0) };
        for (var i = scriptText.IndexOf(';'); i >= 0; i = scriptText.IndexOf(';', i + 1))
        {
            starts.Add(SkipBlanks(scriptText, i + 1));
        }
        var hits = starts
            .Select(start => start + ex.Position - 1)
            .Where(offset => offset < scriptText.Length && tokens.Any(token => StartsWithToken(scriptText, offset, token)))
            .ToList();
        return hits.Count == 1 ? 1 + scriptText.AsSpan(0, hits[0]).Count('\n') : null;

        static int SkipBlanks(string text, int index)
        {
            while (index < text.Length && char.IsWhiteSpace(text[index]))
            {
                index++;
            }
            return index;
        }

        static bool StartsWithToken(string text, int offset, string token) =>
            string.Compare(text, offset, token, 0, token.Length, StringComparison.OrdinalIgnoreCase) == 0
            || (text[offset] == '"' && offset + 1 < text.Length
                && string.Compare(text, offset + 1, token, 0, token.Length, StringComparison.OrdinalIgnoreCase) == 0);
    }

    private static readonly System.Text.RegularExpressions.Regex QuotedInMessage = new("\"([^\"]+)\"", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
}
