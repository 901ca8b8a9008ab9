using AgentRuntime.Migrations;
using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace AgentRuntime.Tests.Migrations;

/// <summary>The migrator's grate rules, on throwaway trees and fresh empty databases.</summary>
public sealed class MigratorTests(ITestOutputHelper output)
{
    private static async Task<MigrationResult> MigrateAsync(EmptyDatabase db, SqlTree tree, MigrationOptions? options = null) =>
        await new Migrator(db.DataSource, tree.Source, options: options).MigrateAsync();

    private static async Task<List<string>> RunLogAsync(EmptyDatabase db)
    {
        var scripts = new List<string>();
        await using var command = db.DataSource.CreateCommand("SELECT script FROM public.run_log ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            scripts.Add(reader.GetString(0));
        }
        return scripts;
    }

    private static async Task<List<(string Name, bool OneTime, string Hash)>> ScriptsRunAsync(EmptyDatabase db)
    {
        var rows = new List<(string, bool, string)>();
        await using var command = db.DataSource.CreateCommand(
            $"SELECT script_name, one_time_script, text_hash FROM {Migrator.ScriptsRunTable} ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetString(2)));
        }
        return rows;
    }

    private static async Task<bool> ExistsAsync(EmptyDatabase db, string regclass) =>
        await db.ScalarAsync<bool>($"SELECT to_regclass('{regclass}') IS NOT NULL");

    [Fact]
    public async Task Applies_folders_in_grate_order_and_records_them_like_grate()
    {
        using var tree = new SqlTree()
            .WriteLogged("afterMigration/after.sql")
            .WriteLogged("permissions/grants.sql")
            .WriteLogged("views/v_log.sql", "CREATE OR REPLACE VIEW public.v_log AS SELECT script FROM public.run_log;")
            .Write("views/zz_empty.sql", "-- nothing to do here\n")
            .WriteLogged("functions/tasks/submit.sql")
            .WriteLogged("functions/agents/register.sql", """
                CREATE OR REPLACE FUNCTION public.answer() RETURNS int LANGUAGE plpgsql AS $$
                BEGIN
                    -- a semicolon inside the body; and a 'quoted' string
                    RETURN 42;
                END;
                $$;
                CREATE OR REPLACE FUNCTION public.answer_text() RETURNS text LANGUAGE sql AS $fn$ SELECT 'forty-two; really' $fn$;
                """)
            .WriteLogged("indexes/ix_log.sql", "CREATE INDEX IF NOT EXISTS ix_run_log_script ON public.run_log(script);")
            .WriteLogged("up/sub/0003_third.sql")
            .WriteLogged("up/0002_second.sql")
            .WriteLogged("up/0001_first.sql")
            .WriteLogged("runBeforeUp/before_up.sql")
            .WriteLogged("runFirstAfterUp/first_after_up.sql")
            .WriteLogged("runAfterOtherAnyTimeScripts/last_anytime.sql")
            .WriteLogged("runAfterCreateDatabase/only_when_created.sql")
            .WriteLogged("beforeMigration/before.sql")
            .WriteLogged("sprocs/proc.sql")
            .WriteLogged("triggers/trig.sql")
            .Write("deploy/not_grate.sql", "SELECT 1/0;") // not a grate folder: ignored, like grate does
            .Write("at_root.sql", "SELECT 1/0;");
        await using var db = await EmptyDatabase.CreateAsync();

        var result = await MigrateAsync(db, tree);

        string[] expected =
        [
            "beforeMigration/before.sql",
            "runBeforeUp/before_up.sql",
            "up/0001_first.sql",
            "up/0002_second.sql",
            "up/sub/0003_third.sql",
            "runFirstAfterUp/first_after_up.sql",
            "functions/agents/register.sql",
            "functions/tasks/submit.sql",
            "views/v_log.sql",
            "sprocs/proc.sql",
            "triggers/trig.sql",
            "indexes/ix_log.sql",
            "runAfterOtherAnyTimeScripts/last_anytime.sql",
            "permissions/grants.sql",
            "afterMigration/after.sql",
        ];
        Assert.Equal(expected, await RunLogAsync(db));
        Assert.Equal([.. expected.Take(9), "views/zz_empty.sql", .. expected.Skip(9)], result.Ran.Select(s => s.Path));
        var skipped = Assert.Single(result.Skipped);
        Assert.Equal("runAfterCreateDatabase/only_when_created.sql", skipped.Path);
        Assert.Equal(ScriptAction.SkippedDatabaseNotNew, skipped.Action);
        Assert.All(result.Ran, s => Assert.Equal(ScriptAction.RanNew, s.Action));
        Assert.Equal(42, await db.ScalarAsync<int>("SELECT public.answer()"));
        Assert.Equal("forty-two; really", await db.ScalarAsync<string>("SELECT public.answer_text()"));

        // grate's bookkeeping: script_name relative to its folder, one_time_script for up/ only, grate's hash.
        var rows = await ScriptsRunAsync(db);
        var scripts = tree.Source.GetScripts();
        Assert.Equal(result.Ran.Select(s => s.Script.Name), rows.Select(r => r.Name));
        Assert.Contains(rows, r => r.Name == "sub/0003_third.sql" && r.OneTime);
        Assert.Contains(rows, r => r.Name == "agents/register.sql" && !r.OneTime);
        Assert.All(rows, r => Assert.Equal(scripts.Single(s => s.Name == r.Name).Hash, r.Hash));
        Assert.Equal("0003_third", result.Version);
        Assert.Equal("0003_third|Finished", await db.ScalarAsync<string>(
            $"SELECT version || '|' || status FROM {Migrator.VersionTable} WHERE id = {result.VersionId}"));

        // A database created for the run also gets runAfterCreateDatabase/.
        await using var created = await EmptyDatabase.CreateAsync();
        var createdResult = await MigrateAsync(created, tree, new MigrationOptions { DatabaseWasCreated = true });
        Assert.Contains(createdResult.Ran, s => s.Path == "runAfterCreateDatabase/only_when_created.sql");
        Assert.Equal("runAfterCreateDatabase/only_when_created.sql", (await RunLogAsync(created))[1]);
    }

    [Fact]
    public async Task Migrating_twice_runs_only_every_time_scripts_the_second_time()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .WriteLogged("functions/f.sql")
            .WriteLogged("functions/everytime.refresh.sql")
            .WriteLogged("views/v.sql")
            .WriteLogged("permissions/grants.sql");
        await using var db = await EmptyDatabase.CreateAsync();

        var first = await MigrateAsync(db, tree);
        var second = await MigrateAsync(db, tree);

        Assert.Equal(5, first.Ran.Count);
        Assert.True(second.Ran.All(s => s.Action == ScriptAction.RanEveryTime));
        Assert.Equal(["functions/everytime.refresh.sql", "permissions/grants.sql"], second.Ran.Select(s => s.Path));
        Assert.Equal(["up/0001_first.sql", "functions/f.sql", "views/v.sql"], second.Skipped.Select(s => s.Path));
        Assert.All(second.Skipped, s => Assert.Equal(ScriptAction.SkippedUnchanged, s.Action));
        Assert.False(second.ChangedSchema);

        // Without every-time scripts a second run does nothing at all, and records no version.
        using var plain = new SqlTree().WriteLogged("up/0001_first.sql").WriteLogged("views/v.sql");
        await using var db2 = await EmptyDatabase.CreateAsync();
        await MigrateAsync(db2, plain);
        var again = await MigrateAsync(db2, plain);
        Assert.Empty(again.Ran);
        Assert.Null(again.VersionId);
        Assert.Equal(1L, await db2.ScalarAsync<long>($"SELECT count(*) FROM {Migrator.VersionTable}"));
        Assert.Equal(["up/0001_first.sql", "views/v.sql"], await RunLogAsync(db2));
    }

    [Fact]
    public async Task An_edited_one_time_script_is_refused_and_nothing_runs()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .WriteLogged("up/0002_second.sql", "CREATE TABLE public.t2(id int);");
        await using var db = await EmptyDatabase.CreateAsync();
        await MigrateAsync(db, tree);

        tree.WriteLogged("up/0002_second.sql", "CREATE TABLE public.t2(id int, extra text);")
            .WriteLogged("up/0003_third.sql", "CREATE TABLE public.t3(id int);")
            .WriteLogged("functions/f.sql", "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
            .WriteLogged("permissions/grants.sql");
        var rowsBefore = await ScriptsRunAsync(db);

        var error = await Assert.ThrowsAsync<OneTimeScriptChangedException>(() => MigrateAsync(db, tree));
        output.WriteLine(error.Message);

        Assert.Equal("up/0002_second.sql", error.ScriptPath);
        Assert.Contains("'up/0002_second.sql'", error.Message);
        Assert.Contains("One-time scripts are never edited", error.Message);
        Assert.Contains("add a new script to up/", error.Message);
        Assert.Equal(rowsBefore, await ScriptsRunAsync(db));
        Assert.Equal(["up/0001_first.sql", "up/0002_second.sql"], await RunLogAsync(db));
        Assert.False(await ExistsAsync(db, "public.t3"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'f'"));
        Assert.Equal(1L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM {Migrator.ScriptsRunErrorsTable} WHERE script_name = '0002_second.sql'"));
    }

    [Fact]
    public async Task A_changed_anytime_script_runs_again()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .Write("functions/f.sql", "CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
            .Write("views/v.sql", "CREATE OR REPLACE VIEW public.v AS SELECT public.f() AS n;");
        await using var db = await EmptyDatabase.CreateAsync();
        await MigrateAsync(db, tree);
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT n FROM public.v"));

        tree.Write("functions/f.sql", "CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 2';");
        var result = await MigrateAsync(db, tree);

        var ran = Assert.Single(result.Ran);
        Assert.Equal("functions/f.sql", ran.Path);
        Assert.Equal(ScriptAction.RanChanged, ran.Action);
        Assert.Equal(2, await db.ScalarAsync<int>("SELECT n FROM public.v"));
        var rows = (await ScriptsRunAsync(db)).Where(r => r.Name == "f.sql").ToList();
        Assert.Equal(2, rows.Count);
        Assert.NotEqual(rows[0].Hash, rows[1].Hash);

        // Only a line-ending change: same grate hash, nothing runs.
        tree.Write("functions/f.sql", "CREATE OR REPLACE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 2';".Replace("\n", "\r\n"));
        Assert.Empty((await MigrateAsync(db, tree)).Ran);
    }

    [Fact]
    public async Task A_failing_script_rolls_back_records_nothing_and_names_the_file()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .Write("up/0002_broken.sql", """
                CREATE TABLE public.half_done(id int);
                INSERT INTO public.half_done VALUES (1);
                SELECT * FROM public.no_such_table;
                """)
            .WriteLogged("functions/f.sql");
        await using var db = await EmptyDatabase.CreateAsync();

        var error = await Assert.ThrowsAsync<MigrationScriptFailedException>(() => MigrateAsync(db, tree));
        output.WriteLine(error.Message);

        Assert.Equal("up/0002_broken.sql", error.ScriptPath);
        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.Contains("'up/0002_broken.sql'", error.Message);
        Assert.Contains("at line 3", error.Message);
        Assert.Contains("no_such_table", error.Message);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.False(await ExistsAsync(db, "public.half_done"));
        Assert.Equal(["0001_first.sql"], (await ScriptsRunAsync(db)).Select(r => r.Name));
        Assert.Equal(["up/0001_first.sql"], await RunLogAsync(db)); // functions/ never ran
        Assert.Equal("Error", await db.ScalarAsync<string>($"SELECT status FROM {Migrator.VersionTable} ORDER BY id DESC LIMIT 1"));
        Assert.Equal(1L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM {Migrator.ScriptsRunErrorsTable} WHERE script_name = '0002_broken.sql' AND error_message LIKE '%no_such_table%'"));

        // Fixed, it runs, and the migration carries on.
        tree.Write("up/0002_broken.sql", "CREATE TABLE public.half_done(id int);");
        var result = await MigrateAsync(db, tree);
        Assert.Equal(["up/0002_broken.sql", "functions/f.sql"], result.Ran.Select(s => s.Path));
        Assert.True(await ExistsAsync(db, "public.half_done"));
    }

    [Fact]
    public async Task A_syntax_error_names_file_and_line()
    {
        using var tree = new SqlTree().Write("functions/broken.sql", """
            CREATE OR REPLACE FUNCTION public.ok() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;

            -- the next statement is wrong
            SELEC 1;
            """);
        await using var db = await EmptyDatabase.CreateAsync();

        var error = await Assert.ThrowsAsync<MigrationScriptFailedException>(() => MigrateAsync(db, tree));

        Assert.Equal(PostgresErrorCodes.SyntaxError, error.SqlState);
        Assert.StartsWith("Migration script 'functions/broken.sql' failed at line 4: 42601: syntax error at or near \"SELEC\"", error.Message);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_proc WHERE proname = 'ok'"));
    }

    [Fact]
    public async Task Duplicate_script_names_are_refused_before_touching_the_database()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .WriteLogged("functions/tasks/shared.sql")
            .WriteLogged("functions/agents/shared.sql");
        await using var db = await EmptyDatabase.CreateAsync();

        var error = await Assert.ThrowsAsync<DuplicateScriptNameException>(() => MigrateAsync(db, tree));
        output.WriteLine(error.Message);

        Assert.Contains("functions/agents/shared.sql", error.Message);
        Assert.Contains("functions/tasks/shared.sql", error.Message);
        Assert.Contains("unique", error.Message);
        Assert.False(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'grate')"));
    }

    [Fact]
    public async Task Concurrent_migrations_wait_for_each_other_and_run_each_script_once()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql", "CREATE TABLE public.only_once(id int);")
            .WriteLogged("up/0002_second.sql")
            .WriteLogged("functions/f.sql")
            .WriteLogged("views/v.sql")
            .WriteLogged("permissions/grants.sql");
        await using var db = await EmptyDatabase.CreateAsync();
        await using var sourceA = db.NewDataSource();
        await using var sourceB = db.NewDataSource();

        // Hold the migration lock so that both migrations are certainly waiting for it together.
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({Migrator.AdvisoryLockKey})", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        var a = new Migrator(sourceA, tree.Source).MigrateAsync();
        var b = new Migrator(sourceB, tree.Source).MigrateAsync();
        await WaitForLockWaitersAsync(db, 2);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({Migrator.AdvisoryLockKey})", holder))
        {
            await release.ExecuteNonQueryAsync();
        }
        var results = await Task.WhenAll(a, b);

        var counts = (await ScriptsRunAsync(db)).GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, counts["0001_first.sql"]);
        Assert.Equal(1, counts["0002_second.sql"]);
        Assert.Equal(1, counts["f.sql"]);
        Assert.Equal(1, counts["v.sql"]);
        Assert.Equal(2, counts["grants.sql"]); // every-time: once per migration
        Assert.Single(results, r => r.Ran.Count == 5);
        Assert.Single(results, r => r.Ran.Select(s => s.Path).SequenceEqual(["permissions/grants.sql"]));
    }

    private static async Task WaitForLockWaitersAsync(EmptyDatabase db, int waiters)
    {
        // Polls pg_locks (no timing assumption): returns once both sessions block on the lock.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var waiting = await db.ScalarAsync<long>("""
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """);
            if (waiting >= waiters)
            {
                return;
            }
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task Environment_scripts_run_only_in_their_environment()
    {
        using var tree = new SqlTree()
            .WriteLogged("up/0001_first.sql")
            .WriteLogged("up/0002_seed.TEST.ENV.sql");
        await using var db = await EmptyDatabase.CreateAsync();

        var without = await MigrateAsync(db, tree);
        Assert.Equal(ScriptAction.SkippedOtherEnvironment, without.Scripts.Single(s => s.Path == "up/0002_seed.TEST.ENV.sql").Action);

        var with = await MigrateAsync(db, tree, new MigrationOptions { Environment = "TEST" });
        Assert.Equal(["up/0002_seed.TEST.ENV.sql"], with.Ran.Select(s => s.Path));
    }

    [Fact]
    public void Script_hash_is_grates_md5_of_normalized_text()
    {
        // grate: quotes doubled, CRLF/CR -> LF, UTF-8, MD5, Base64.
        Assert.Equal("VfsGpD9lapB0fI26SN7D3Q==", ScriptHash.Compute("select 'a';\r\nselect 2;\r\n"));
        Assert.Equal(ScriptHash.Compute("select 'a';\nselect 2;\n"), ScriptHash.Compute("select 'a';\r\nselect 2;\r\n"));
    }

    [Fact]
    public void Embedded_source_holds_the_real_db_tree()
    {
        var embedded = MigrationSource.Embedded();
        var files = embedded.ListFiles();

        Assert.Contains("up/0001_core.sql", files);
        Assert.All(files, f => Assert.DoesNotContain('\\', f));

        // Exactly what is on disk under db/, byte for byte (as text).
        var onDisk = MigrationSource.FromDirectory(Path.Combine(Repository.Root, "db"));
        Assert.Equal(onDisk.ListFiles(), files);
        foreach (var file in files)
        {
            Assert.Equal(onDisk.ReadFile(file), embedded.ReadFile(file));
        }

        var scripts = embedded.GetScripts();
        Assert.Equal("up/0001_core.sql", scripts.First(s => s.Folder.Type == MigrationType.Once).Path);
    }
}
