using AgentRuntime.Tests.Infrastructure;
using AgentRuntime.Tests.Support;
using static AgentRuntime.Tests.Memory.MemorySql;

namespace AgentRuntime.Tests.Memory;

/// <summary>
/// add_memory, search_memory and delete_memory on pgvector: cosine search, hybrid search fused by
/// reciprocal rank, metadata filters, and refusals that write nothing.
/// </summary>
public sealed class MemoryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private readonly Runtime _rt = new(db.DataSource);

    private static string User() => $"user-{Guid.NewGuid():N}";

    [Fact]
    public async Task Search_by_embedding_returns_the_nearest_first_scored_by_cosine_similarity()
    {
        var user = User();
        var near = await db.DataSource.AddAsync("mem", user, "near", Axis(0, towards: 1));
        var far = await db.DataSource.AddAsync("mem", user, "far", Axis(5));
        var middle = await db.DataSource.AddAsync("mem", user, "middle", Axis(1, towards: 0, tilt: 0.5f));
        await db.DataSource.AddAsync("mem", User(), "another user's", Axis(0));

        var found = await db.DataSource.SearchAsync("mem", user, Axis(0));

        Assert.Equal([near, middle, far], found.Select(f => f.Id));
        Assert.Equal(1 / Math.Sqrt(1.01), found[0].Score, 5);
        Assert.Equal(0, found[2].Score, 5);
        Assert.Equal([near], (await db.DataSource.SearchAsync("mem", user, Axis(0), k: 1)).Select(f => f.Id));
        Assert.Equal(1, await _rt.ScalarAsync<long>(
            "select count(*) from agent_runtime.events where type = 'memory.added' and (data ->> 'memory_id')::bigint = $1", near));
    }

    [Fact]
    public async Task Hybrid_search_finds_a_keyword_match_that_vector_search_alone_misses()
    {
        var user = User();
        // More memories nearer to the query than the vector list of a hybrid search holds (2k, at least 50).
        for (var i = 0; i < 60; i++)
        {
            await db.DataSource.AddAsync("mem", user, $"note {i} about the weather", Axis(0, towards: 1 + (i % 50), tilt: 0.05f * (i + 1)));
        }
        var keyword = await db.DataSource.AddAsync("mem", user, "The spare part is XJ-4471, ordered in May", Axis(200));

        var byVector = await db.DataSource.SearchAsync("mem", user, Axis(0), k: 5);
        var hybrid = await db.DataSource.SearchAsync("mem", user, Axis(0), "which part? XJ-4471", k: 5);
        var textOnly = await db.DataSource.SearchAsync("mem", user, null, "xj-4471", k: 5);

        Assert.DoesNotContain(keyword, byVector.Select(f => f.Id));
        Assert.Contains(keyword, hybrid.Select(f => f.Id));
        Assert.Equal(byVector[0].Id, hybrid[0].Id == keyword ? hybrid[1].Id : hybrid[0].Id);
        Assert.Equal(1 / 61.0, hybrid.Single(f => f.Id == keyword).Score, 9); // first of the text list, absent from the vector list
        Assert.Equal([keyword], textOnly.Select(f => f.Id));
        // More candidates than hnsw.ef_search (100) by default: the search raises it for itself.
        Assert.Equal(61, (await db.DataSource.SearchAsync("mem", user, Axis(0), "weather", k: 200)).Count);
        Assert.Equal(61, (await db.DataSource.SearchAsync("mem", user, Axis(0), k: 200)).Count);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var search = new Npgsql.NpgsqlCommand("select count(*) from agent_runtime.search_memory('mem', $1, $2, null, 200)", connection))
        {
            search.Parameters.Add(new Npgsql.NpgsqlParameter { Value = user });
            search.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Axis(0) });
            Assert.Equal(61L, await search.ExecuteScalarAsync());
        }
        await using var setting = new Npgsql.NpgsqlCommand("select current_setting('hnsw.ef_search')", connection);
        Assert.Equal("40", await setting.ExecuteScalarAsync()); // pgvector's default again: the raise stayed inside the call
    }

    [Fact]
    public async Task A_filter_keeps_memories_whose_metadata_contains_it_and_an_index_serves_it()
    {
        var user = User();
        var tea = await db.DataSource.AddAsync("mem", user, "likes green tea", Axis(0), """{"kind":"preference","topic":"drinks"}""");
        await db.DataSource.AddAsync("mem", user, "lives in Lyon", Axis(0, towards: 1), """{"kind":"fact"}""");
        var coffee = await db.DataSource.AddAsync("mem", user, "no coffee after noon", Axis(1), """{"kind":"preference","topic":"drinks","strict":true}""");

        Assert.Equal([tea, coffee], (await db.DataSource.SearchAsync("mem", user, Axis(0), filter: """{"kind":"preference"}""")).Select(f => f.Id));
        Assert.Equal([coffee], (await db.DataSource.SearchAsync("mem", user, Axis(0), filter: """{"strict":true}""")).Select(f => f.Id));
        Assert.Equal([tea], (await db.DataSource.SearchAsync("mem", user, Axis(0), "tea", filter: """{"topic":"drinks"}""")).Select(f => f.Id).Take(1));
        Assert.Empty(await db.DataSource.SearchAsync("mem", user, Axis(0), filter: """{"kind":"none"}"""));

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var plan = connection.CreateCommand();
        plan.CommandText = "set enable_seqscan = off; explain select id from agent_runtime.memories where metadata @> '{\"kind\":\"preference\"}'";
        var explained = new List<string>();
        await using (var reader = await plan.ExecuteReaderAsync())
        {
            do
            {
                while (await reader.ReadAsync())
                {
                    explained.Add(reader.GetString(0));
                }
            }
            while (await reader.NextResultAsync());
        }
        Assert.Contains(explained, line => line.Contains("memories_metadata"));
    }

    [Fact]
    public async Task Every_k_from_1_to_1000_returns_k_memories_by_embedding_and_hybrid()
    {
        var user = User();
        // 1010 memories in scattered directions: more than the largest k, and more candidates
        // (2k) than pgvector's largest hnsw.ef_search (1000) for k over 500.
        await _rt.ExecAsync(
            "select agent_runtime.add_memory('mem', $1, 'note ' || i, array(select sin(i * j + j)::real from generate_series(1, $2) as j)) " +
            "from generate_series(1, 1010) as i", user, Dimensions);

        foreach (var k in new[] { 1, 500, 501, 1000 })
        {
            Assert.Equal(k, (await db.DataSource.SearchAsync("mem", user, Axis(0), k: k)).Count);
            Assert.Equal(k, (await db.DataSource.SearchAsync("mem", user, Axis(0), "note", k: k)).Count);
        }
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), null, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), null, 1001, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), "note", 1001, null);
    }

    [Fact]
    public async Task Delete_removes_a_memory_and_an_unknown_id_is_not_found()
    {
        var user = User();
        var id = await db.DataSource.AddAsync("mem", user, "temporary", Axis(3));

        await db.DataSource.ExecAsync(Delete, id);

        Assert.Empty(await db.DataSource.SearchAsync("mem", user, Axis(3)));
        Assert.Equal(1, await _rt.CountEventsAsync("memory.deleted"));
        await db.DataSource.FailsWithAsync("AR091", Delete, id);
        await db.DataSource.FailsWithAsync("AR001", Delete, (object?)null);
    }

    [Fact]
    public async Task Embeddings_of_the_wrong_size_are_refused()
    {
        var user = User();
        await db.DataSource.AddAsync("mem", user, "kept", Axis(1));

        var error = await db.DataSource.FailsWithAsync("AR092", Add, "mem", user, "short", new float[3], "{}");
        Assert.Contains("3 values", error.MessageText);
        await db.DataSource.FailsWithAsync("AR092", Add, "mem", user, "long", new float[Dimensions + 1], "{}");
        await db.DataSource.FailsWithAsync("AR092", Add, "mem", user, "none", Array.Empty<float>(), "{}");
        await db.DataSource.FailsWithAsync("AR092", Search, "mem", user, new float[128], null, 10, null);
        Assert.Equal(256, await _rt.ScalarAsync<int>("select agent_runtime.memory_dimensions()"));
    }

    [Fact]
    public async Task Bad_memories_and_searches_are_refused_and_write_nothing()
    {
        var user = User();
        var nan = Axis(0);
        nan[7] = float.NaN;
        var infinite = Axis(0);
        infinite[7] = float.PositiveInfinity;

        await db.DataSource.FailsWithAsync("AR001", Add, null, user, "x", Axis(0), "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", null, "x", Axis(0), "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, null, Axis(0), "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "   ", Axis(0), "{}");
        await db.DataSource.FailsWithAsync("AR002", Add, "mem", user, new string('x', 65537), Axis(0), "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", null, "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", nan, "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", infinite, "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", new float[Dimensions], "{}");
        await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", Axis(0), "[1]");

        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, null, null, 10, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, null, "  ", 10, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), null, 0, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), null, 1001, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), null, 10, "[]");
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, Axis(0), new string('q', 4001), 10, null);
        await db.DataSource.FailsWithAsync("AR001", Search, "mem", null, Axis(0), null, 10, null);
    }

    [Fact]
    public async Task Embeddings_outside_the_range_a_cosine_can_be_computed_in_are_refused_and_the_limits_score_finitely()
    {
        var user = User();
        static float[] Filled(float value) => Enumerable.Repeat(value, Dimensions).ToArray();
        static float[] Scaled(float[] v, float by) => v.Select(x => x * by).ToArray();
        var huge = Axis(0);
        huge[3] = 3.4e38f;
        var tooLarge = Axis(0);
        tooLarge[3] = -1.1e15f;

        foreach (var refused in new[] { huge, tooLarge, Filled(3.4e38f), Filled(1e-45f), Filled(1e-16f), Filled(-9e-16f) })
        {
            await db.DataSource.FailsWithAsync("AR001", Add, "mem", user, "x", refused, "{}");
            await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, refused, null, 10, null);
            await db.DataSource.FailsWithAsync("AR001", Search, "mem", user, refused, "x", 10, null);
        }

        // At the limits: every value at 1e15, a single value of 1e-15, and values far below it beside a normal one.
        var large = await db.DataSource.AddAsync("mem", user, "large", Filled(1e15f));
        var small = await db.DataSource.AddAsync("mem", user, "small", Scaled(Axis(0), 1e-15f));
        var denormal = Axis(1);
        denormal[0] = 1e-45f;
        var tiny = await db.DataSource.AddAsync("mem", user, "tiny values beside a normal one", denormal);

        var found = await db.DataSource.SearchAsync("mem", user, Axis(0));
        Assert.Equal([small, large, tiny], found.Select(f => f.Id));
        Assert.Equal(1, found[0].Score, 5);
        Assert.Equal(1 / Math.Sqrt(Dimensions), found[1].Score, 5);
        Assert.Equal(0, found[2].Score, 5);
        var byLarge = await db.DataSource.SearchAsync("mem", user, Filled(-1e15f));
        Assert.All(byLarge, f => Assert.True(double.IsFinite(f.Score), $"score {f.Score}"));
        Assert.Equal(-1, byLarge.Single(f => f.Id == large).Score, 5);
    }

    [Fact]
    public async Task Query_text_with_quotes_backslashes_and_operators_is_just_words()
    {
        var user = User();
        var id = await db.DataSource.AddAsync("mem", user, "O'Brien's \\ notes & plans", Axis(9));

        var found = await db.DataSource.SearchAsync("mem", user, null, "o'brien's \\ & | ! ( notes :*");

        Assert.Equal([id], found.Select(f => f.Id));
    }
}
