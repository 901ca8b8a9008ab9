using AgentRuntime.Client;

namespace AgentRuntime.Tests.Client;

/// <summary>How a SqlCall spells a call of the SQL API: named arguments by position, built once.</summary>
public sealed class SqlCallTests
{
    [Fact]
    public void A_function_is_called_by_name_with_its_arguments_by_position()
    {
        var call = SqlCall.Function("cancel_task(task_id, reason)");

        Assert.Equal("select agent_runtime.cancel_task(task_id => $1, reason => $2)", call.Text);
        Assert.Equal(2, call.Arity);
    }

    [Fact]
    public void Rows_select_the_columns_read_and_a_function_without_arguments_takes_none()
    {
        var call = SqlCall.Rows("list_queues()", "queue, paused", row => row.GetString(0));

        Assert.Equal("select queue, paused from agent_runtime.list_queues()", call.Text);
        Assert.Equal(0, call.Arity);
    }

    [Fact]
    public void A_statement_takes_as_many_arguments_as_its_highest_placeholder()
    {
        Assert.Equal(3, SqlCall.Statement("select $3, $1, $1").Arity);
        Assert.Equal(0, SqlCall.Statement("select 1").Arity);
    }

    [Theory]
    [InlineData("agent_runtime.cancel_task(task_id)")]
    [InlineData("cancel_task(task_id; drop table x)")]
    [InlineData("cancel_task(Task_Id)")]
    [InlineData("cancel_task task_id")]
    [InlineData("cancel_task(task_id,)")]
    public void Anything_but_a_plain_signature_is_refused(string signature)
    {
        Assert.Throws<ArgumentException>(() => SqlCall.Function(signature));
    }

    [Fact]
    public void Binding_another_number_of_arguments_than_the_call_takes_is_refused()
    {
        var call = SqlCall.Function("cancel_task(task_id, reason)");

        var error = Assert.Throws<ArgumentException>(() => call.BatchCommand(Sql.Uuid(Guid.NewGuid())));
        Assert.Contains("takes 2 arguments, not 1", error.Message);
        Assert.Equal(2, call.BatchCommand(Sql.Uuid(Guid.NewGuid()), Sql.Text(null)).Parameters.Count);
    }
}
