#!/usr/bin/python3
"""A Python client of AgentRuntime: plain SQL through psycopg 3 (Debian's python3-psycopg), no
AgentRuntime library. Submits a task, waits for its completion on the task-status channel (LISTEN,
started before the submit so no notification can be missed), reads the A2A-shaped result, then
submits to an agent that does not exist and handles the AR error by its SQLSTATE. Prints JSON.
A notification carries only the task's tag (docs/sql-api.md, "NOTIFY channels"): the first 16 hex
digits of the SHA-256 of its id. It is a hint: the client reads the task to learn its status.

    /usr/bin/python3 submit_and_wait.py <target> '<input json>'

Connection: the standard PG* environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
"""
import hashlib
import json
import signal
import sys
import uuid

import psycopg

FINISHED = {"completed", "failed", "canceled", "rejected"}
AGENT_NOT_FOUND = "AR010"  # docs/errors.md


def tag_of(task_id) -> str:
    return hashlib.sha256(str(task_id).encode()).hexdigest()[:16]


def main(target: str, input_json: str) -> int:
    # autocommit: LISTEN takes effect at once, and each call is its own transaction, as in psql.
    with psycopg.connect(autocommit=True, application_name="agent-runtime-python-check") as conn:
        tags = []  # every task-status notification's payload, in order
        # Notifications that arrive while a statement runs go to the handlers; those that arrive
        # while waiting come from notifies(). Both land in `tags`.
        conn.add_notify_handler(lambda n: tags.append(n.payload))
        conn.execute("listen agent_runtime_task_status")

        task_id, session_id, status = conn.execute(
            "select task_id, session_id, status from agent_runtime.submit_task(target => %s, input => %s::jsonb)",
            (target, input_json),
        ).fetchone()
        tag = tag_of(task_id)
        statuses = []  # the statuses read, each once

        def on_timeout(signum, frame):
            print(f"task {task_id} did not finish within 60 s (statuses read: {statuses})", file=sys.stderr)
            sys.exit(1)

        signal.signal(signal.SIGALRM, on_timeout)
        signal.alarm(60)
        read = 0
        while True:
            if tags.count(tag) > read:
                # A read that starts after the last notification sees its change.
                read = tags.count(tag)
                (current,) = conn.execute("select status from agent_runtime.get_task(task_id => %s)", (task_id,)).fetchone()
                if not statuses or statuses[-1] != current:
                    statuses.append(current)
                if current in FINISHED:
                    break
                continue
            for notification in conn.notifies():
                tags.append(notification.payload)
                if notification.payload == tag:
                    break
        signal.alarm(0)

        # The result as an A2A Task object (what an A2A server answers to tasks/get); jsonb arrives as a dict.
        (task,) = conn.execute("select agent_runtime.get_a2a_task(task_id => %s)", (task_id,)).fetchone()

        # Bad input is an error with an AR SQLSTATE, a message and a hint, and changes nothing.
        missing = f"no_such_agent_{uuid.uuid4().hex[:8]}"
        try:
            conn.execute("select agent_runtime.submit_task(target => %s, input => '{}'::jsonb)", (missing,))
            print(f"submitting to {missing} did not fail", file=sys.stderr)
            return 1
        except psycopg.Error as error:
            if error.sqlstate != AGENT_NOT_FOUND:
                print(f"expected SQLSTATE {AGENT_NOT_FOUND}, got {error.sqlstate}: {error}", file=sys.stderr)
                return 1
            handled = {
                "sqlstate": error.sqlstate,
                "message": error.diag.message_primary,
                "hint": error.diag.message_hint,
            }

        print(json.dumps({
            "task": task,
            "sessionId": str(session_id),
            "submittedStatus": status,
            "statusesRead": statuses,
            "notifications": tags.count(tag),
            "error": handled,
        }))
        return 0 if task["status"]["state"] == "completed" else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: submit_and_wait.py <target> '<input json>'", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
