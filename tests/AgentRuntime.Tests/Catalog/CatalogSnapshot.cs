using System.Globalization;
using System.Text;
using Npgsql;

namespace AgentRuntime.Tests.Catalog;

/// <summary>
/// Renders the catalog of one schema (by default <c>agent_runtime</c>) as stable text, for approval
/// tests and for comparing two databases: the schema and its grants, functions (signature, result,
/// language, volatility, security, config, EXECUTE grants), tables (columns, constraints, indexes,
/// triggers, grants), views (columns), composite/enum/domain types, sequences, and the roles the
/// grants name. No OIDs, owners, grantors or timestamps; everything sorted (ordinal, "C" collation);
/// names and types rendered with <c>search_path = pg_catalog</c>, so schema objects are qualified.
/// </summary>
public static class CatalogSnapshot
{
    public const string DefaultSchema = "agent_runtime";

    /// <summary>
    /// The snapshot text of <paramref name="schema"/>. With <paramref name="includeDefinitions"/> it
    /// also carries each function's body (as an MD5) and each view's definition, which changes with
    /// any edit of their SQL; the approved snapshot leaves them out, comparisons of two deployments
    /// of the same files put them in.
    /// </summary>
    public static async Task<string> RenderAsync(NpgsqlDataSource dataSource, string schema = DefaultSchema,
        bool includeDefinitions = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand(
                         "SET LOCAL search_path = pg_catalog; SET LOCAL TRANSACTION READ ONLY", connection, transaction))
        {
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        var reader = new Reader(connection, transaction, schema, cancellationToken);
        var text = new StringBuilder();

        var schemaRow = await reader.RowsAsync($"""
            SELECT n.nspname, obj_description(n.oid, 'pg_namespace'), {Grants("n.nspacl", "n.nspowner", "n")}
            FROM pg_namespace n WHERE n.nspname = @schema
            """);
        if (schemaRow.Count == 0)
        {
            return $"schema {schema}: does not exist\n";
        }
        text.Append("schema ").AppendLine(schema);
        Line(text, 1, "comment", Str(schemaRow[0][1]) is { } comment ? Quote(comment) : "(none)");
        Line(text, 1, "grants", Str(schemaRow[0][2]));

        await RenderFunctionsAsync(reader, text, includeDefinitions);
        await RenderTablesAsync(reader, text);
        await RenderViewsAsync(reader, text, includeDefinitions);
        await RenderTypesAsync(reader, text);
        await RenderSequencesAsync(reader, text);
        await RenderRolesAsync(reader, text);

        await transaction.CommitAsync(cancellationToken);
        return text.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static async Task RenderFunctionsAsync(Reader reader, StringBuilder text, bool includeDefinitions)
    {
        var rows = await reader.RowsAsync($"""
            SELECT p.proname,
                   pg_get_function_identity_arguments(p.oid),
                   pg_get_function_arguments(p.oid),
                   CASE WHEN p.prokind = 'p' THEN NULL ELSE pg_get_function_result(p.oid) END,
                   CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                                  WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END,
                   l.lanname,
                   CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
                   CASE WHEN p.prosecdef THEN 'security definer' ELSE 'security invoker' END,
                   p.proisstrict,
                   CASE p.proparallel WHEN 's' THEN 'parallel safe' WHEN 'r' THEN 'parallel restricted' ELSE 'parallel unsafe' END,
                   coalesce(array_to_string(ARRAY(SELECT c FROM unnest(p.proconfig) c ORDER BY c COLLATE "C"), ', '), ''),
                   {Grants("p.proacl", "p.proowner", "f", namePrivileges: false)},
                   md5(coalesce(p.prosrc, '') || '|' || coalesce(p.probin, ''))
            FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_language l ON l.oid = p.prolang
            WHERE n.nspname = @schema
            ORDER BY p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C"
            """);
        text.AppendLine().Append("functions (").Append(rows.Count).AppendLine(")");
        foreach (var row in rows)
        {
            var identity = Str(row[1])!;
            var arguments = Str(row[2])!;
            text.Append("  ").Append(Str(row[4])).Append(' ').Append(reader.Schema).Append('.').Append(Str(row[0]))
                .Append('(').Append(identity).Append(')');
            if (Str(row[3]) is { } result)
            {
                text.Append(" -> ").Append(result);
            }
            text.AppendLine();
            if (arguments != identity)
            {
                Line(text, 2, "arguments", arguments);
            }
            var traits = new List<string> { "language " + Str(row[5]), Str(row[6])!, Str(row[7])! };
            if ((bool)row[8]!)
            {
                traits.Add("strict");
            }
            traits.Add(Str(row[9])!);
            Line(text, 2, "traits", string.Join(", ", traits));
            Line(text, 2, "config", Str(row[10]));
            Line(text, 2, "execute", Str(row[11]));
            if (includeDefinitions)
            {
                Line(text, 2, "body md5", Str(row[12]));
            }
        }
    }

    private static async Task RenderTablesAsync(Reader reader, StringBuilder text)
    {
        var tables = await reader.RowsAsync($"""
            SELECT c.relname,
                   CASE c.relkind WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
                   c.relrowsecurity, c.relforcerowsecurity,
                   {Grants("c.relacl", "c.relowner", "r")},
                   obj_description(c.oid, 'pg_class')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relkind IN ('r', 'p', 'f')
            ORDER BY c.relname COLLATE "C"
            """);
        var columns = await ColumnsAsync(reader, "'r', 'p', 'f'");
        var constraints = await reader.RowsAsync("""
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid, true)
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema
            ORDER BY c.relname COLLATE "C", k.conname COLLATE "C"
            """);
        var indexes = await reader.RowsAsync("""
            SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x
            JOIN pg_class c ON c.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema
            ORDER BY c.relname COLLATE "C", i.relname COLLATE "C"
            """);
        var triggers = await reader.RowsAsync("""
            SELECT c.relname, t.tgname,
                   pg_get_triggerdef(t.oid, true)
                   || CASE t.tgenabled WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica only)'
                                       WHEN 'A' THEN ' (always)' ELSE '' END
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND NOT t.tgisinternal
            ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C"
            """);
        var policies = await reader.RowsAsync("""
            SELECT p.tablename, p.policyname,
                   p.permissive || ' FOR ' || p.cmd || ' TO ' || array_to_string(p.roles, ', ')
                   || coalesce(' USING (' || p.qual || ')', '') || coalesce(' WITH CHECK (' || p.with_check || ')', '')
            FROM pg_policies p
            WHERE p.schemaname = @schema
            ORDER BY p.tablename COLLATE "C", p.policyname COLLATE "C"
            """);

        text.AppendLine().Append("tables (").Append(tables.Count).AppendLine(")");
        foreach (var table in tables)
        {
            var name = Str(table[0])!;
            text.Append("  ").Append(Str(table[1])).Append(' ').Append(reader.Schema).Append('.').AppendLine(name);
            if (Str(table[5]) is { } comment)
            {
                Line(text, 2, "comment", Quote(comment));
            }
            foreach (var column in columns.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "column", Str(column[1]));
            }
            foreach (var constraint in constraints.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "constraint " + Str(constraint[1]), Str(constraint[2]));
            }
            foreach (var index in indexes.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "index", Str(index[2]));
            }
            foreach (var trigger in triggers.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "trigger", Str(trigger[2]));
            }
            if ((bool)table[2]! || (bool)table[3]!)
            {
                Line(text, 2, "row level security", (bool)table[3]! ? "enabled, forced" : "enabled");
            }
            foreach (var policy in policies.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "policy " + Str(policy[1]), Str(policy[2]));
            }
            Line(text, 2, "grants", Str(table[4]));
        }
    }

    private static async Task RenderViewsAsync(Reader reader, StringBuilder text, bool includeDefinitions)
    {
        var views = await reader.RowsAsync($"""
            SELECT c.relname,
                   CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
                   {Grants("c.relacl", "c.relowner", "r")},
                   pg_get_viewdef(c.oid, true),
                   array_to_string(ARRAY(SELECT o FROM unnest(c.reloptions) o ORDER BY o COLLATE "C"), ', ')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relkind IN ('v', 'm')
            ORDER BY c.relname COLLATE "C"
            """);
        var columns = await ColumnsAsync(reader, "'v', 'm'");
        text.AppendLine().Append("views (").Append(views.Count).AppendLine(")");
        foreach (var view in views)
        {
            var name = Str(view[0])!;
            text.Append("  ").Append(Str(view[1])).Append(' ').Append(reader.Schema).Append('.').AppendLine(name);
            if (Str(view[4]) is { Length: > 0 } options)
            {
                Line(text, 2, "options", options);
            }
            foreach (var column in columns.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "column", Str(column[1]));
            }
            Line(text, 2, "grants", Str(view[2]));
            if (includeDefinitions)
            {
                text.AppendLine("    definition:");
                foreach (var line in Str(view[3])!.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
                {
                    text.Append("      ").AppendLine(line.TrimEnd());
                }
            }
        }
    }

    private static async Task RenderTypesAsync(Reader reader, StringBuilder text)
    {
        // Composite types of their own (not a table's row type), enums and domains; array types are implied.
        var types = await reader.RowsAsync($"""
            SELECT t.typname,
                   CASE t.typtype WHEN 'c' THEN 'composite type' WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                                  WHEN 'r' THEN 'range type' ELSE 'type' END,
                   CASE t.typtype
                     WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid)
                     WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                                   || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END
                                   || coalesce(' default ' || t.typdefault, '')
                   END,
                   {Grants("t.typacl", "t.typowner", "T")}
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = @schema
              AND t.typtype IN ('c', 'e', 'd', 'r')
              AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
            ORDER BY t.typname COLLATE "C"
            """);
        var attributes = await ColumnsAsync(reader, "'c'");
        var domainChecks = await reader.RowsAsync("""
            SELECT t.typname, k.conname, pg_get_constraintdef(k.oid, true)
            FROM pg_constraint k
            JOIN pg_type t ON t.oid = k.contypid
            JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = @schema
            ORDER BY t.typname COLLATE "C", k.conname COLLATE "C"
            """);
        text.AppendLine().Append("types (").Append(types.Count).AppendLine(")");
        foreach (var type in types)
        {
            var name = Str(type[0])!;
            text.Append("  ").Append(Str(type[1])).Append(' ').Append(reader.Schema).Append('.').AppendLine(name);
            if (Str(type[2]) is { } detail)
            {
                Line(text, 2, Str(type[1]) == "enum" ? "labels" : "base", detail);
            }
            foreach (var attribute in attributes.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "attribute", Str(attribute[1]));
            }
            foreach (var check in domainChecks.Where(c => Str(c[0]) == name))
            {
                Line(text, 2, "constraint " + Str(check[1]), Str(check[2]));
            }
            Line(text, 2, "grants", Str(type[3]));
        }
    }

    private static async Task RenderSequencesAsync(Reader reader, StringBuilder text)
    {
        var sequences = await reader.RowsAsync($"""
            SELECT c.relname,
                   format('%s, start %s, increment %s, min %s, max %s, cache %s%s',
                          format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                          CASE WHEN s.seqcycle THEN ', cycle' ELSE '' END),
                   (SELECT format('%s.%s.%s%s', @schema::text, t.relname, a.attname,
                                  CASE d.deptype WHEN 'i' THEN ' (identity)' ELSE '' END)
                    FROM pg_depend d
                    JOIN pg_class t ON t.oid = d.refobjid
                    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                    LIMIT 1),
                   {Grants("c.relacl", "c.relowner", "s")}
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_sequence s ON s.seqrelid = c.oid
            WHERE n.nspname = @schema AND c.relkind = 'S'
            ORDER BY c.relname COLLATE "C"
            """);
        text.AppendLine().Append("sequences (").Append(sequences.Count).AppendLine(")");
        foreach (var sequence in sequences)
        {
            text.Append("  sequence ").Append(reader.Schema).Append('.').AppendLine(Str(sequence[0]));
            Line(text, 2, "definition", Str(sequence[1]));
            Line(text, 2, "owned by", Str(sequence[2]) ?? "(none)");
            Line(text, 2, "grants", Str(sequence[3]));
        }
    }

    /// <summary>The roles the schema's grants name: whether they log in, and what they are members of.</summary>
    private static async Task RenderRolesAsync(Reader reader, StringBuilder text)
    {
        var roles = await reader.RowsAsync("""
            WITH acls AS (
                SELECT n.nspacl AS acl, n.nspowner AS owner FROM pg_namespace n WHERE n.nspname = @schema
                UNION ALL
                SELECT p.proacl, p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @schema
                UNION ALL
                SELECT c.relacl, c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema
                UNION ALL
                SELECT a.attacl, c.relowner FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema AND a.attacl IS NOT NULL
                UNION ALL
                SELECT t.typacl, t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = @schema
            ), grantees AS (
                SELECT DISTINCT x.grantee
                FROM acls, aclexplode(acls.acl) x
                WHERE acls.acl IS NOT NULL AND x.grantee <> 0 AND x.grantee <> acls.owner
            )
            SELECT r.rolname,
                   CASE WHEN r.rolcanlogin THEN 'login' ELSE 'nologin' END,
                   coalesce((SELECT string_agg(m.rolname, ', ' ORDER BY m.rolname COLLATE "C")
                             FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.roleid
                             WHERE am.member = r.oid), '(none)')
            FROM grantees g JOIN pg_roles r ON r.oid = g.grantee
            ORDER BY r.rolname COLLATE "C"
            """);
        text.AppendLine().Append("roles named in grants (").Append(roles.Count).AppendLine(")");
        foreach (var role in roles)
        {
            text.Append("  role ").Append(Str(role[0])).Append(": ").AppendLine(Str(role[1]));
            Line(text, 2, "member of", Str(role[2]));
        }
    }

    /// <summary>Columns (tables, views) or attributes (composite types): relname, rendered column.</summary>
    private static Task<List<object?[]>> ColumnsAsync(Reader reader, string relkinds) => reader.RowsAsync($"""
        SELECT c.relname,
               quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attcollation <> t.typcollation
                       THEN ' collate ' || (SELECT quote_ident(co.collname) FROM pg_collation co WHERE co.oid = a.attcollation)
                       ELSE '' END
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
               || CASE a.attidentity WHEN 'a' THEN ' generated always as identity'
                                     WHEN 'd' THEN ' generated by default as identity' ELSE '' END
               || CASE WHEN a.attgenerated = 's' THEN ' generated always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                       WHEN d.adbin IS NOT NULL THEN ' default ' || pg_get_expr(d.adbin, d.adrelid)
                       ELSE '' END
               || CASE WHEN a.attacl IS NOT NULL
                       THEN ' (column grants: ' || {Grants("a.attacl", "c.relowner", "c")} || ')' ELSE '' END
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = @schema AND c.relkind IN ({relkinds}) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname COLLATE "C", a.attnum
        """);

    /// <summary>
    /// SQL for the privileges an ACL grants to others than the owner ("role: PRIV, PRIV; PUBLIC: ..."),
    /// sorted; a NULL ACL is the object kind's default (<c>acldefault</c>); "(none)" when only the owner has any.
    /// Without <paramref name="namePrivileges"/> (functions: EXECUTE is their only privilege) just the grantees.
    /// </summary>
    private static string Grants(string acl, string owner, string kind, bool namePrivileges = true) => $"""
        coalesce((SELECT string_agg(g.grantee || {(namePrivileges ? "': ' || g.privileges" : "replace(g.privileges, 'EXECUTE', '')")},
                                    '{(namePrivileges ? "; " : ", ")}' ORDER BY g.grantee COLLATE "C")
                  FROM (SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END AS grantee,
                               string_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END,
                                          ', ' ORDER BY x.privilege_type COLLATE "C") AS privileges
                        FROM aclexplode(coalesce({acl}, acldefault('{kind}', {owner}))) x
                        WHERE x.grantee <> {owner}
                        GROUP BY 1) g), '(none)')
        """;

    private static void Line(StringBuilder text, int depth, string label, string? value) =>
        text.Append(' ', depth * 2).Append(label).Append(": ").AppendLine(value ?? "(none)");

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string? Str(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private sealed class Reader(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        public string Schema { get; } = schema;

        public async Task<List<object?[]>> RowsAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue("schema", Schema);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<object?[]>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }
                rows.Add(row);
            }
            return rows;
        }
    }
}
